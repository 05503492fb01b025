/**
 * The one intervention type: a change to one SAE latent, as the contract takes it, a session
 * stores it, the CLI parses it, core/steer applies it and the renderer edits it.
 * Pure: zod and types only.
 */
import { z } from 'zod';

/**
 * Which token positions an intervention applies to; a range is [from, to) in absolute
 * positions (BOS = 0). `user`: the text of the prompt's user messages only (a plain prompt is
 * one user message; its BOS is not part of it). `content`: the text of every message and
 * every generated token, so everything but the chat template's own tokens (and BOS).
 */
export const positionsSchema = z.union([
  z.enum(['all', 'prompt', 'generated', 'user', 'content']),
  z
    .object({ from: z.number().int().min(0), to: z.number().int().min(1) })
    .strict()
    .refine((r) => r.to > r.from, { message: 'a token range needs to > from' }),
]);

/** Positions as sent and stored. */
export type Positions = z.infer<typeof positionsSchema>;

/** How an intervention changes its latent: set it (clamp), add strength × decoder direction (add), multiply it (scale). */
export const steerModes = ['clamp', 'add', 'scale'] as const;

/** One of steerModes. */
export type SteerMode = (typeof steerModes)[number];

/**
 * One intervention on one SAE latent. `value` is the clamp value, the add strength or the
 * scale factor; `positions` defaults to every position. A request bounds `value` further
 * (steerValueSchema); a stored session keeps it as it was run.
 */
export const interventionSchema = z
  .object({
    feature: z.number().int().min(0),
    mode: z.enum(steerModes),
    value: z.number(),
    positions: positionsSchema.default('all'),
  })
  .strict();

/** An intervention with its positions filled in (as stored, and as core applies it). */
export type Intervention = z.output<typeof interventionSchema>;

/** An intervention as a caller may write it: the same schema's input, `positions` optional (default `all`). */
export type InterventionInput = z.input<typeof interventionSchema>;
