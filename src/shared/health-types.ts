/**
 * Payloads and results of the requests about: SAE health: evaluation metrics and dictionary comparison (`health.*`).
 * Pure: zod and types only. contract.ts merges `healthRequests` into the contract.
 */
import type { RequestDef } from './request-def.ts';
import type { z } from 'zod';

/** Every request of this area, by name; each entry with JSDoc (see contract.ts). */
export const healthRequests = {} as const satisfies Record<string, RequestDef<z.ZodType, unknown>>;
