/**
 * Payloads and results of the requests about: Steering runs and saved steering sessions (`steer.*`, `session.*`).
 * Pure: zod and types only. contract.ts merges `steerRequests` into the contract.
 */
import type { RequestDef } from './request-def.ts';
import type { z } from 'zod';

/** Every request of this area, by name; each entry with JSDoc (see contract.ts). */
export const steerRequests = {} as const satisfies Record<string, RequestDef<z.ZodType, unknown>>;

/** Events of this area, by name, with the schema of their data (merged into contract.ts's `events`). */
export const steerEvents = {} as const satisfies Record<string, z.ZodType>;
