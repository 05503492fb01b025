/**
 * Payloads and results of the requests about: HuggingFace Hub downloads and the SAE catalog (`hub.*`).
 * Pure: zod and types only. contract.ts merges `hubRequests` into the contract.
 */
import type { RequestDef } from './request-def.ts';
import type { z } from 'zod';

/** Every request of this area, by name; each entry with JSDoc (see contract.ts). */
export const hubRequests = {} as const satisfies Record<string, RequestDef<z.ZodType, unknown>>;
