/** Types of automatic interpretation (issue #18): explainer backends, explanations and their scores. */

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
