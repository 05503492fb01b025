/**
 * Payloads and results of the workspace requests (`workspace.*`, `prompt.encode`,
 * `steer.compare`): which model, SAE and corpus the app works on, and what the engine
 * does with them. Pure: zod and types only.
 */
import { z } from 'zod';
import { steerValueSchema } from './steer-bounds.ts';
import type { JobInfo } from './contract.ts';
import type { IndexStatus } from './index-types.ts';

/** What the app works on: a model, an SAE at a hook, and the corpus its index covers. */
export interface Selection {
  /** Model folder (HF layout) or .onnx file. */
  readonly model: string;
  /** SAE folder or file. */
  readonly sae: string;
  /** Hook; absent = the SAE's own. */
  readonly hook?: string;
  /** Corpus indexed for this model + SAE; absent = none yet. */
  readonly corpus?: string;
  /** True for the embedded demo the app opens on first run. */
  readonly demo?: boolean;
  /** `replace`: the corpus's bytes that are not UTF-8 are read as U+FFFD (chosen when a retry of its index offered it). */
  readonly invalidUtf8?: 'replace';
}

/** The workspace as the UI shows it. */
export interface WorkspaceInfo {
  /** Null until a model is chosen (and no demo ships with this build). */
  readonly selection: Selection | null;
  /** Facts from the loaded engine; null while it is not loaded. */
  readonly engine: {
    readonly hook: string;
    readonly architecture: string;
    readonly dIn: number;
    readonly dSae: number;
    /** What the SAE does to the hook tensor before encoding, in words (`none` when nothing). */
    readonly preprocessing: string;
    /** The execution provider the sessions were created with. */
    readonly provider: string;
  } | null;
  /** The index file for the selection's corpus and where it stands (null when there is no corpus or file yet). */
  readonly db: string | null;
  readonly index: IndexStatus | null;
  /** The job building that index, while one runs. */
  readonly indexJob: string | null;
  /**
   * The latest job that built or resumed the index in this run of the app, in whatever state
   * (failed: why, and whether `jobs.retry` can run it again); null when none was needed.
   */
  readonly lastIndexJob: JobInfo | null;
  /** Why the engine or the index could not be opened, in words for the user. */
  readonly error: string | null;
}

/** Payload of `workspace.open`. */
export const workspaceOpenPayload = z
  .object({
    model: z.string().min(1),
    sae: z.string().min(1),
    hook: z.string().min(1).optional(),
    corpus: z.string().min(1).optional(),
  })
  .strict();

/** One token of an encoded prompt with its strongest latents, strongest first. */
export interface EncodedToken {
  readonly id: number;
  readonly text: string;
  /** [feature, value] pairs. */
  readonly latents: readonly (readonly [number, number])[];
}

/** Payload of `prompt.encode`. */
export const promptEncodePayload = z
  .object({
    text: z.string().min(1).max(20_000),
    /** Latents per token (default 8). */
    top: z.number().int().min(1).max(1024).default(8),
  })
  .strict();

/** What `prompt.encode` answers. */
export interface EncodedPrompt {
  readonly hook: string;
  readonly tokens: readonly EncodedToken[];
}

const positions = z.union([
  z.enum(['all', 'prompt', 'generated']),
  z.object({ from: z.number().int().min(0), to: z.number().int().min(0) }).strict(),
]);

/** One intervention on a latent. */
export const interventionSchema = z
  .object({
    feature: z.number().int().min(0),
    mode: z.enum(['clamp', 'add', 'scale']),
    value: steerValueSchema,
    positions: positions.optional(),
  })
  .strict();

/** Payload of `steer.compare`. */
export const steerComparePayload = z
  .object({
    prompt: z.string().min(1).max(20_000),
    interventions: z.array(interventionSchema).max(64),
    maxNewTokens: z.number().int().min(1).max(512).default(32),
    /** Absent or 0: greedy. */
    temperature: z.number().min(0).max(10).optional(),
    topK: z.number().int().min(0).optional(),
    topP: z.number().gt(0).max(1).optional(),
    seed: z.number().int().optional(),
  })
  .strict();

/** A continuation as the UI shows it. */
export interface ContinuationView {
  readonly ids: readonly number[];
  /** Each generated id's log-probability under the model that generated it. */
  readonly logprobs: readonly number[];
  /** Each generated id's own text. */
  readonly tokens: readonly string[];
  readonly text: string;
}

/** What `steer.compare` answers: default and steered continuations with the same settings and seed. */
export interface SteerComparison {
  readonly baseline: ContinuationView;
  readonly steered: ContinuationView;
}
