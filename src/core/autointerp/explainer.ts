import type { ExplainerMessage } from '#shared/autointerp-types.ts';

/** Options of one completion. */
export interface CompleteOptions {
  readonly signal?: AbortSignal;
  /** Called with each piece of text as it arrives (streaming backends). */
  readonly onText?: (piece: string) => void;
}

/** Something that answers a chat: an OpenAI-compatible endpoint or a local model. */
export interface Explainer {
  /** The model's name, recorded with what it wrote. */
  readonly model: string;
  complete(messages: readonly ExplainerMessage[], opts?: CompleteOptions): Promise<string>;
  close?(): void;
}
