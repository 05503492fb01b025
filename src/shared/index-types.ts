/**
 * Payloads and results of the activation-index requests (`index.*`, `feature.*`), kept in
 * their own file so src/shared/contract.ts only lists them. Pure: zod and types only.
 */
import { z } from 'zod';
import { providerNames } from './providers.ts';

/** One activating token shown in its context. */
export interface FeatureExample {
  /** The window (global, 0-based) the token is in. */
  readonly window: number;
  /** The token's position in its window (0 = the window's first token, a BOS if it has one). */
  readonly position: number;
  /** The activation of this feature at that token. */
  readonly value: number;
  /** Window position of `tokens[0]`, so `tokens[position - start]` is the activating token. */
  readonly start: number;
  /** The context tokens around it as text pieces (BOS left out). */
  readonly tokens: readonly string[];
  /** This feature's activation at each context token (0 where inactive). */
  readonly values: readonly number[];
}

/** One of the 10 equal-width activation intervals over (0, max]. */
export interface FeatureInterval {
  /** Exclusive lower bound. */
  readonly lo: number;
  /** Inclusive upper bound. */
  readonly hi: number;
  /** Activations in (lo, hi]. */
  readonly count: number;
  /** count / the feature's count. */
  readonly share: number;
  /** A uniform random sample of up to 10 of them (seeded: the same every time), strongest first. */
  readonly examples: readonly FeatureExample[];
}

/** Everything a feature's dashboard shows. */
export interface FeatureDashboard {
  readonly id: number;
  /** Tokens where the feature is nonzero (BOS not counted). */
  readonly count: number;
  /** count / tokens. */
  readonly density: number;
  readonly max: number;
  readonly mean: number;
  /** 50 bin counts of its nonzero values; bin i covers (i·max/50, (i+1)·max/50]. */
  readonly histogram: readonly number[];
  /** The 20 strongest activations, strongest first (ties: earlier first). */
  readonly top: readonly FeatureExample[];
  readonly intervals: readonly FeatureInterval[];
}

/** Examples drawn uniformly at random from an activation range. */
export interface FeatureSample {
  /** Activations of the feature in [lo, hi). */
  readonly matching: number;
  /** Up to n of them, strongest first. */
  readonly examples: readonly FeatureExample[];
}

/** One bin of the across-feature log10-density histogram. */
export interface DensityBin {
  readonly lo: number;
  readonly hi: number;
  readonly count: number;
}

/** Across-feature figures of a complete index. */
export interface IndexStatusSummary {
  /** Features never active. */
  readonly dead: number;
  /** Features with density > 0.1. */
  readonly dense: number;
  /** log10(density) of the live features, 50 bins over [log10(1/tokens), 0]. */
  readonly densityHistogram: readonly DensityBin[];
  readonly truncatedTokens: number;
  readonly emptyDocuments: number;
  readonly skippedLines: number;
}

/** Where an index file stands and what it was built from. */
export interface IndexStatus {
  /** The database file. */
  readonly db: string;
  /** `indexing` until the corpus is through, `finalizing` while statistics are computed, `complete` after. */
  readonly state: 'indexing' | 'finalizing' | 'complete';
  readonly model: string;
  readonly sae: string;
  readonly hook: string;
  readonly architecture: string;
  readonly dSae: number;
  readonly context: number;
  readonly corpus: string;
  readonly tokens: number;
  readonly documents: number;
  readonly windows: number;
  readonly activations: number;
  /** File size with its WAL. */
  readonly bytes: number;
  /** Across features, once complete. */
  readonly summary?: IndexStatusSummary;
}

/** What `index.start` answers: the job doing the work and the database it writes. */
export interface IndexStartResult {
  readonly job: string;
  readonly db: string;
}

const dbPath = z.string().min(1).describe('an index file: absolute, or a name in the data folder’s indexes/');
const positive = z.number().int().positive();

/** Payload of `index.start`. */
export const indexStartPayload = z
  .object({
    model: z.string().min(1),
    sae: z.string().min(1),
    hook: z.string().min(1).optional(),
    provider: z.enum(providerNames).optional(),
    /** A .jsonl, .txt/.md or .parquet file, or a folder of them. */
    corpus: z.string().min(1),
    textField: z.string().min(1).optional(),
    /** Default: indexes/<corpus name>.sqlite in the data folder. */
    db: dbPath.optional(),
    context: z
      .number()
      .int()
      .min(1)
      .max(1 << 16)
      .optional(),
    batch: positive.optional(),
    maxTokens: positive.optional(),
    maxLatentsPerToken: positive.optional(),
    onBadLine: z.enum(['skip', 'stop']).optional(),
    invalidUtf8: z.enum(['error', 'replace']).optional(),
    seed: z.number().int().nonnegative().optional(),
  })
  .strict();

/** Payload naming an index. */
export const indexDbPayload = z.object({ db: dbPath }).strict();

/** Payload of `feature.get`. */
export const featureGetPayload = z
  .object({
    db: dbPath,
    id: z.number().int().nonnegative(),
    /** Tokens shown on each side of the activating one (default 8). */
    context: z.number().int().nonnegative().max(512).optional(),
  })
  .strict();

/** Payload of `feature.sample`. */
export const featureSamplePayload = z
  .object({
    db: dbPath,
    id: z.number().int().nonnegative(),
    lo: z.number(),
    hi: z.number(),
    n: z.number().int().positive().max(1000).optional(),
    seed: z.number().int().nonnegative().optional(),
    context: z.number().int().nonnegative().max(512).optional(),
  })
  .strict();
