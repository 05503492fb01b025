/**
 * Payloads and results of the requests about: Feature annotations: labels, notes, tags, stars, lists, import and export (`annotation.*`).
 * Pure: zod and types only. contract.ts merges `annotationRequests` into the contract.
 */
import type { RequestDef } from './request-def.ts';
import type { z } from 'zod';

/** Every request of this area, by name; each entry with JSDoc (see contract.ts). */
export const annotationRequests = {} as const satisfies Record<string, RequestDef<z.ZodType, unknown>>;
