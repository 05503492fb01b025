import type { z } from 'zod';
import { isRequestName, requests, type RequestName } from './contract.ts';
import { fail, ok, type Reply } from './reply.ts';

/**
 * Checks a request name and its raw payload against the contract. A missing payload
 * (`undefined`, or `null` from an empty HTTP body) counts as `{}`, so requests that take
 * nothing can be sent without one.
 */
export function validateRequest(name: string, raw: unknown): Reply<{ name: RequestName; payload: unknown }> {
  if (!isRequestName(name)) return fail('not_found', `unknown request "${name}"`);
  const parsed = requests[name].payload.safeParse(raw ?? {});
  if (!parsed.success) return fail('bad_request', `invalid payload for "${name}": ${describeIssues(parsed.error.issues)}`);
  return ok({ name, payload: parsed.data });
}

/** One line naming each problem and where it is: `job: Too small: expected string to have >=1 characters`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => {
      const where = i.path.length ? i.path.map(String).join('.') : 'payload';
      if (i.code === 'unrecognized_keys')
        return `${where}: unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      return `${where}: ${i.message}`;
    })
    .join('; ');
}
