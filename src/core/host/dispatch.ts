import type { ContractHandlers, RequestName } from '#shared/contract.ts';
import { fail, ok, stripAnsi, toReplyError, type Reply } from '#shared/reply.ts';
import { validateRequest } from '#shared/validate.ts';

/**
 * The one generic adapter step both transports run for every request: look the name up
 * in the contract, validate the payload with its schema, call core's handler, and turn
 * whatever happens into a `Reply`. It never throws.
 */
export async function dispatch(handlers: ContractHandlers, name: string, payload: unknown): Promise<Reply<unknown>> {
  const checked = validateRequest(name, payload);
  if (!checked.ok) return checked;
  try {
    return ok(await callHandler(handlers, checked.value.name, checked.value.payload));
  } catch (e) {
    const error = toReplyError(e);
    if (error.code === 'internal')
      console.error(`request "${name}" failed: ${stripAnsi(e instanceof Error ? (e.stack ?? e.message) : String(e))}`);
    return fail(error.code, error.message);
  }
}

function callHandler(handlers: ContractHandlers, name: RequestName, payload: unknown): Promise<unknown> {
  // validateRequest checked `payload` against requests[name].payload, which is exactly
  // the parameter type of handlers[name]; TS cannot correlate the two through the union.
  const handler = handlers[name] as (payload: unknown) => Promise<unknown>;
  return handler(payload);
}
