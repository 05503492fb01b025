/** Types of automatic interpretation (issue #18): explainer backends, explanations and their scores. */
import { z } from 'zod';
import { empty, request } from './request-def.ts';

/** One chat message sent to an explainer. */
export interface ExplainerMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** Which explainer answers: a local ONNX causal LM, or an OpenAI-compatible chat-completions endpoint. */
export type ExplainerBackendConfig =
  | { readonly kind: 'onnx'; readonly modelDir: string; readonly maxNewTokens?: number }
  | {
      readonly kind: 'openai';
      /** The API base, e.g. `http://127.0.0.1:8080/v1`. */
      readonly endpoint: string;
      readonly model: string;
      readonly timeoutMs?: number;
      readonly retries?: number;
      readonly concurrency?: number;
      readonly maxTokens?: number;
    };

/** What explaining and scoring use; recorded beside every stored explanation. */
export interface AutointerpSettings {
  /** Top examples shown to the explainer. */
  readonly topExamples: number;
  /** Interval samples shown to the explainer (taken evenly across the intervals). */
  readonly intervalExamples: number;
  /** Activating contexts in a detection or fuzzing round (as many non-activating / wrongly marked ones beside them). */
  readonly scoreExamples: number;
  /** Tokens of context on each side of the activating token. */
  readonly context: number;
  /** Seed of every shuffle and choice. */
  readonly seed: number;
}

/** The settings used when a caller leaves them out. */
export const defaultAutointerpSettings: AutointerpSettings = {
  topExamples: 10,
  intervalExamples: 10,
  scoreExamples: 10,
  context: 8,
  seed: 0,
};

/** A balanced accuracy and the confusion counts it was computed from. */
export interface BalancedScore {
  /** (TPR + TNR) / 2 in [0, 1]; null when one class had no items. */
  readonly balancedAccuracy: number | null;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly trueNegatives: number;
  readonly falseNegatives: number;
  /** Items whose answer could not be read (counted as a "no"). */
  readonly unanswered: number;
}

/** What a feature list shows of a feature's newest auto explanation. */
export interface AutoExplanationSummary {
  readonly description: string;
  readonly explainerModel: string;
  /** Detection balanced accuracy, when scored. */
  readonly detection: number | null;
  /** Fuzzing balanced accuracy, when scored. */
  readonly fuzzing: number | null;
}

/** An explanation made by an explainer, with its scores. */
export interface AutoExplanation {
  readonly feature: number;
  readonly description: string;
  readonly source: 'auto';
  readonly explainerModel: string;
  readonly promptVersion: string;
  readonly settings: AutointerpSettings;
  readonly detection: BalancedScore | null;
  readonly fuzzing: BalancedScore | null;
  /** When it was made (ms since the epoch). */
  readonly createdAt: number;
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

/** The explainer chosen in Settings (never the API key itself). */
export interface ExplainerSettings {
  /** OpenAI-compatible API base, when that backend is chosen. */
  readonly endpoint: string | null;
  /** The model name sent to the endpoint. */
  readonly model: string | null;
  /** A local ONNX causal LM folder, when that backend is chosen. */
  readonly onnxModel: string | null;
  /** Where the API key comes from: $SAE_EXPLORER_EXPLAINER_KEY, the saved settings, or none. */
  readonly keySource: 'env' | 'settings' | 'none';
}

const text = z.string().trim().min(1).max(2000);

/** Payload of `autointerp.setSettings`: a field left out stays; null forgets it. */
export const explainerSetPayload = z
  .object({
    endpoint: text.nullable().optional(),
    model: z.string().trim().min(1).max(300).nullable().optional(),
    onnxModel: text.nullable().optional(),
    apiKey: z.string().trim().min(1).max(1000).nullable().optional(),
  })
  .strict();

/** Payload of `autointerp.explain`. */
export const explainPayload = z
  .object({
    /** The index file (absolute, or a name in the data folder's indexes/). */
    db: z.string().min(1).max(4096),
    feature: z.number().int().nonnegative(),
    topExamples: z.number().int().min(1).max(50).optional(),
    intervalExamples: z.number().int().min(0).max(50).optional(),
    scoreExamples: z.number().int().min(1).max(50).optional(),
    context: z.number().int().min(1).max(64).optional(),
    seed: z
      .number()
      .int()
      .nonnegative()
      .max(2 ** 31)
      .optional(),
    /** Also score it (default true). */
    score: z.boolean().optional(),
  })
  .strict();

/** Which features a job explains: `all`, a list like `1-100,320`, or ids (e.g. a search result's). */
export const autointerpFeatures = z.union([
  z.literal('all'),
  z
    .string()
    .trim()
    .min(1)
    .max(20_000)
    .regex(/^\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*$/, 'ids and ranges like 1-100,320'),
  z.array(z.number().int().nonnegative()).min(1).max(1_048_576),
]);

/** An explainer for one job instead of the one saved in Settings (the CLI's flags). */
export const explainerChoice = z.union([
  z.object({ endpoint: text, model: z.string().trim().min(1).max(300), concurrency: z.number().int().min(1).max(64).optional() }).strict(),
  z.object({ onnxModel: text, maxNewTokens: z.number().int().min(1).max(2048).optional() }).strict(),
]);

/** An explainer for one job (see explainerChoice). */
export type ExplainerChoice = z.infer<typeof explainerChoice>;

/** Payload of `autointerp.start`. */
export const autointerpStartPayload = explainPayload
  .omit({ feature: true })
  .extend({
    features: autointerpFeatures,
    /** The SAE whose annotations the results join (default: the one the index was built from). */
    sae: z.string().min(1).max(4096).optional(),
    /** Default: the explainer saved in Settings. */
    explainer: explainerChoice.optional(),
    /** Explain again what is already stored (default: stored explanations and scores are kept and skipped). */
    redo: z.boolean().optional(),
    /** Features worked on at once (default: 4 for an endpoint, 1 for a local model). */
    concurrency: z.number().int().min(1).max(64).optional(),
    /** Send each explanation's text as it is generated (`autointerp.text`); for a feature page, not a batch. */
    stream: z.boolean().optional(),
  })
  .strict();

/** What `autointerp.start` answers. */
export interface AutointerpStartResult {
  /** The job's id (`job.progress` phase `explain`: features done of those to do). */
  readonly job: string;
  /** The annotation key (SAE hash) results are stored under. */
  readonly sae: string;
  /** The explainer's model name, recorded with each result. */
  readonly explainer: string;
  /** Features asked for. */
  readonly features: number;
  /** Of those, already stored with their scores (skipped). */
  readonly stored: number;
}

const balancedScore = z.object({
  balancedAccuracy: z.number().min(0).max(1).nullable(),
  truePositives: z.number().int().nonnegative(),
  falsePositives: z.number().int().nonnegative(),
  trueNegatives: z.number().int().nonnegative(),
  falseNegatives: z.number().int().nonnegative(),
  unanswered: z.number().int().nonnegative(),
}) satisfies z.ZodType<BalancedScore>;

const autoExplanation = z.object({
  feature: z.number().int().nonnegative(),
  description: z.string(),
  source: z.literal('auto'),
  explainerModel: z.string(),
  promptVersion: z.string(),
  settings: z.object({
    topExamples: z.number(),
    intervalExamples: z.number(),
    scoreExamples: z.number(),
    context: z.number(),
    seed: z.number(),
  }),
  detection: balancedScore.nullable(),
  fuzzing: balancedScore.nullable(),
  createdAt: z.number(),
}) satisfies z.ZodType<AutoExplanation>;

/** Events of automatic interpretation jobs. */
export const autointerpEvents = {
  /** A piece of an explanation as the explainer writes it (jobs started with `stream` only). */
  'autointerp.text': z.object({ job: z.string(), feature: z.number().int().nonnegative(), text: z.string() }),
  /**
   * A feature's result, stored before it is sent: `explained` (scores to come), `scored`
   * (each score as it lands; `fuzzing` null until the last), or `failed` with why.
   */
  'autointerp.result': z.object({
    job: z.string(),
    feature: z.number().int().nonnegative(),
    stage: z.enum(['explained', 'scored', 'failed']),
    /** True on the feature's last event of this job. */
    done: z.boolean(),
    explanation: autoExplanation.optional(),
    error: z.string().optional(),
  }),
} as const satisfies Record<string, z.ZodType>;

/** Requests of automatic interpretation. */
export const autointerpRequests = {
  /** The explainer backend saved in Settings (`<data>/autointerp.json`, mode 0600); never the key. */
  'autointerp.settings': request<ExplainerSettings>()(empty),

  /** Saves the explainer backend (and API key); answers the new settings. */
  'autointerp.setSettings': request<ExplainerSettings>()(explainerSetPayload),

  /**
   * Explains one feature of an index with the saved explainer, scores it (detection and
   * fuzzing) and stores it as an `auto` explanation of the workspace SAE, beside (never over)
   * the user's label. Nothing leaves the machine unless the saved endpoint is remote.
   */
  'autointerp.explain': request<AutoExplanation>()(explainPayload),

  /**
   * Explains and scores a set of features as a job (kind `autointerp`): progress with ETA in
   * phase `explain`, cancel with `jobs.cancel`, results as `autointerp.result` events as they
   * are stored. What is already stored (explanation, each score) is skipped, so a killed or
   * cancelled job resumes with `jobs.retry` or by starting it again. Nothing leaves the
   * machine unless the explainer is a remote endpoint.
   */
  'autointerp.start': request<AutointerpStartResult>()(autointerpStartPayload),

  /** A feature's stored auto explanations of the workspace SAE, newest first. */
  'autointerp.explanations': request<AutoExplanation[]>()(z.object({ feature: z.number().int().nonnegative() }).strict()),
} as const;
