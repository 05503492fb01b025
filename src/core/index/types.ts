/** Shapes shared by the index's writer, finalize phase and reader. */
import type { DensityBin, IndexStatusSummary } from '#shared/index-types.ts';

export type { DensityBin };

/** What an index was built from and how; stored in `meta.settings`, checked on resume. */
export interface IndexSettings {
  readonly model: string;
  readonly sae: string;
  readonly hook: string;
  readonly architecture: string;
  readonly dSae: number;
  /** TopK/switch k, when the SAE has one. */
  readonly k: number | null;
  readonly prependBos: boolean;
  /** The id prepended to every window when prependBos (null when the tokenizer has none). */
  readonly bosId: number | null;
  /** Window length in tokens, BOS included. */
  readonly context: number;
  /** Windows per committed batch. */
  readonly batch: number;
  readonly corpus: string;
  /** Corpus files relative to `corpus` (empty for a single file). */
  readonly corpusFiles: readonly string[];
  readonly textField: string;
  /** The token column named for a pre-tokenized corpus (absent: detected where the text field is missing). */
  readonly tokenColumn?: string;
  readonly maxTokens: number | null;
  readonly maxLatentsPerToken: number | null;
  /** Seed of the interval samples. */
  readonly seed: number;
  /** Set when this index is one shard of a corpus (see shard.ts); absent for a whole index. */
  readonly shard?: ShardSpec;
}

/** Shard `index` of `count` (0-based): the corpus records whose ordinal mod count is index. */
export interface ShardSpec {
  readonly index: number;
  readonly count: number;
}

/**
 * A place in the corpus to read on from: file (index in the corpus's file list), offset
 * (a byte offset in a JSONL file, a row in a Parquet file, 0 for a text file), line (the line
 * number at that offset, for JSONL sources) and the ordinal the record read there gets.
 */
export interface CorpusCursor {
  readonly file: number;
  readonly offset: number;
  readonly line: number;
  readonly ordinal: number;
}

/** The keys of IndexSettings that must match for a run to resume an index. */
export const RESUME_KEYS = [
  'model',
  'sae',
  'hook',
  'dSae',
  'prependBos',
  'context',
  'corpus',
  'corpusFiles',
  'textField',
  'tokenColumn',
  'maxTokens',
  'maxLatentsPerToken',
  'seed',
  'shard',
] as const satisfies readonly (keyof IndexSettings)[];

/** Where an index job stands: the one `progress` row. */
export interface Progress {
  /** `index` while reading the corpus, `finalize` once every batch is merged, `done` at the end. */
  readonly phase: 'index' | 'finalize' | 'done';
  /** Ordinal of the corpus record to read next (records = documents and bad lines). */
  readonly nextInput: number;
  /** Windows of record `nextInput` already committed (a batch may end inside a document). */
  readonly docWindows: number;
  readonly documents: number;
  readonly windows: number;
  /** Tokens indexed, BOS not counted. */
  readonly tokens: number;
  readonly activations: number;
  readonly batches: number;
  /** Activations in `staged`, not yet merged into chunks. */
  readonly stagedActivations: number;
  /** Tokens whose latents a --max-latents-per-token cap cut short. */
  readonly truncatedTokens: number;
  readonly emptyDocuments: number;
  readonly skippedLines: number;
  /** The capture K in use (grows when an uncapped non-TopK SAE needs more). */
  readonly captureK: number;
  /** Hash of the text of record nextInput when docWindows > 0 (checked on resume). */
  readonly docHash: number;
  /** Where reading resumes (at or before record nextInput); null: from the start of the corpus. */
  readonly cursor: CorpusCursor | null;
}

/** Across-feature figures, computed by the finalize phase: what the status shows, plus totals. */
export interface IndexSummary extends IndexStatusSummary {
  readonly tokens: number;
  readonly documents: number;
  readonly windows: number;
  readonly activations: number;
  readonly features: number;
}
