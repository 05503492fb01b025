/**
 * Payloads and results of the requests about: Feature search, prompt ranking, logit effects and nearest features (`explorer.*`).
 * Pure: zod and types only. contract.ts merges `explorerRequests` into the contract.
 */
import type { RequestDef } from './request-def.ts';
import type { z } from 'zod';

/** Every request of this area, by name; each entry with JSDoc (see contract.ts). */
export const explorerRequests = {} as const satisfies Record<string, RequestDef<z.ZodType, unknown>>;
