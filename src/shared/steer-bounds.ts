/**
 * Limits on steering inputs, shared by the request schemas, the CLI and the engine: beyond
 * them float32 arithmetic in the graph overflows (3.4e38) and the model's logits stop being
 * numbers, which would silently produce token 0 over and over.
 */
import { z } from 'zod';

/**
 * The largest magnitude of a steering value (clamp value, add strength, scale factor). Real
 * SAE latents and useful strengths are far smaller (tens to thousands).
 */
export const STEER_VALUE_MAX = 1_000_000;

/** A steering value as requests take it: finite, within ±STEER_VALUE_MAX. */
export const steerValueSchema = z
  .number()
  .min(-STEER_VALUE_MAX, { message: `a steering value must be ≥ ${-STEER_VALUE_MAX}` })
  .max(STEER_VALUE_MAX, { message: `a steering value must be ≤ ${STEER_VALUE_MAX}` });
