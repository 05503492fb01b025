/** An indexing job as its callers see it: options, hooks, progress, result, and the model it captures with. */
import type { ModelFolder } from '../model/model-folder.ts';
import type { ProviderName } from '../model/providers.ts';
import type { TextTokenizer } from '../model/tokenizer.ts';
import type { SaeConfig } from '../sae/types.ts';
import type { IndexSummary, ShardSpec } from './types.ts';
import type { InvalidUtf8 } from './utf8.ts';
import type { StartFinalizeHelper } from './finalize-helper.ts';

/** What to index and how. */
export interface IndexJobOptions {
  readonly model: string;
  readonly sae: string;
  readonly hook?: string | undefined;
  readonly provider?: ProviderName | undefined;
  /** Where spliced graph variants are cached. */
  readonly cacheDir: string;
  readonly corpus: string;
  readonly textField?: string | undefined;
  /** Token ids from this column (pre-tokenized corpora); unset: `tokens` / `input_ids` where the text field is missing. */
  readonly tokenColumn?: string | undefined;
  readonly db: string;
  /** Window length in tokens, BOS included (default 128). */
  readonly context?: number | undefined;
  /** Windows per committed batch (default: 1024 tokens' worth). */
  readonly batch?: number | undefined;
  readonly maxTokens?: number | undefined;
  /** Caps the latents kept per token; tokens it cuts short are counted and reported. */
  readonly maxLatentsPerToken?: number | undefined;
  readonly onBadLine?: 'skip' | 'stop' | undefined;
  readonly invalidUtf8?: InvalidUtf8 | undefined;
  /** Seed of the interval samples (default 0). */
  readonly seed?: number | undefined;
  /** Staged activations that trigger a merge into chunks (bounds memory; default 2M). */
  readonly mergeActivations?: number | undefined;
  /**
   * Index only this shard's documents (shard.ts) into `db`; a shard stops before the
   * statistics, which `merge` computes over all shards at once.
   */
  readonly shard?: ShardSpec | undefined;
}

/** What a finished (or stopped) run reports (the CLI prints it through src/cli/output.ts). */
export interface IndexResult {
  readonly tokens: number;
  readonly documents: number;
  readonly windows: number;
  readonly seconds: number;
  readonly tokensPerSecond: number;
  readonly activations: number;
  readonly dbBytes: number;
  /** Tokens whose latents --max-latents-per-token cut short. */
  readonly truncatedTokens: number;
  /** False when the run stopped (cancel) before the end; run again to resume. */
  readonly complete: boolean;
  /** True when this run continued an existing index. */
  readonly resumed: boolean;
  readonly db: string;
  readonly summary?: IndexSummary;
}

/** Progress as the job reports it. */
export interface IndexProgress {
  readonly phase: 'load' | 'index' | 'merge' | 'finalize' | 'paused';
  /** index: tokens indexed (all runs); finalize: features done. */
  readonly done: number;
  /** index: tokens expected (estimated from bytes read until the corpus ends); finalize: features. */
  readonly total: number | null;
  /** Units done by this run in this phase (rates are computed from these). */
  readonly runDone: number;
  readonly batches: number;
}

/** How the job talks to whoever runs it. */
export interface IndexHooks {
  progress?(p: IndexProgress): void;
  log?(level: 'info' | 'warn', message: string): void;
  /** True once the job should stop after its current commit (cancel). */
  shouldStop?(): boolean;
  /** Resolves when the job may go on (pause holds it here, between commits). */
  pausePoint?(): Promise<void>;
}

/** A stand-in for Engine.capture (the benchmark's synthetic fast path). */
export type CaptureFn = (
  rows: readonly (readonly number[])[],
  k: number,
) => Promise<{ k: number; values: Float32Array; indices: Int32Array }>;

/**
 * What indexing uses of a model: an Engine, or (in the index worker) the engine's facts with a
 * capture that the thread holding the engine runs (worker-client.ts), so a process that
 * already holds the model does not load it twice.
 */
export interface IndexModel {
  readonly sae: { readonly config: SaeConfig };
  readonly hook: string;
  readonly folder: Pick<ModelFolder, 'config' | 'tokenizerJson' | 'tokenizerConfig'>;
  readonly tokenizer: Pick<TextTokenizer, 'bosId' | 'encode'>;
  capture: CaptureFn;
}

/** An engine to use instead of opening one (kept open), an optional capture override, and where the database work runs. */
export interface IndexRuntime {
  readonly engine?: IndexModel;
  readonly capture?: CaptureFn;
  /** Whether finalize takes a helper thread (finalize-helper.ts); default: by the index's size. A function starts it (tests). */
  readonly finalizeHelper?: boolean | StartFinalizeHelper;
}
