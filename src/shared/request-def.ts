/**
 * How a request is declared: its payload schema and, as a type only, its result. Kept apart
 * from contract.ts so each feature's request map (src/shared/<area>-types.ts) can declare
 * its own entries and contract.ts merges them without import cycles.
 */
import { z } from 'zod';

/**
 * One request: the schema its payload must match (checked by the transports before core
 * sees it) and, as a type only, its result.
 */
export interface RequestDef<P extends z.ZodType, R> {
  readonly payload: P;
  /** Type-level only: never set at runtime. */
  readonly result?: R;
}

/** Declares a request whose result is `R`: `request<Result>()(payloadSchema)`. */
export function request<R>() {
  return <P extends z.ZodType>(payload: P): RequestDef<P, R> => ({ payload });
}

/** The payload of a request that takes nothing. Unknown keys are rejected, so typos show. */
export const empty = z.object({}).strict();
