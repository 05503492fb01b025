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

  /** A feature's stored auto explanations of the workspace SAE, newest first. */
  'autointerp.explanations': request<AutoExplanation[]>()(z.object({ feature: z.number().int().nonnegative() }).strict()),
} as const;
