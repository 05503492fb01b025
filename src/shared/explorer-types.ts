/**
 * Payloads and results of the requests about: feature search, prompt ranking, logit effects,
 * nearest and co-occurring features, a feature on typed text and the effect of ablating it
 * (`feature.search`, `prompt.rank`, `feature.logits`, `feature.nearest`, `feature.cooccurring`,
 * `feature.onText`, `feature.ablate`). They work on the workspace's model + SAE (the loaded
 * engine) and, for statistics, on an activation index (`db`). Pure: zod and types only.
 * contract.ts merges `explorerRequests`.
 */
import type { AutoExplanationSummary } from './autointerp-types.ts';
import { z } from 'zod';
import { request, type RequestDef } from './request-def.ts';

const dbPath = z.string().min(1).describe('an index file: absolute, or a name in the data folder’s indexes/');
const featureId = z.number().int().nonnegative();

/** Filters every search applies after its query (all optional; absent = no constraint). */
export const featureFilters = z
  .object({
    densityMin: z.number().min(0).optional(),
    densityMax: z.number().min(0).optional(),
    maxMin: z.number().optional(),
    maxMax: z.number().optional(),
    /** true: only labelled features; false: only unlabelled ones. */
    labelled: z.boolean().optional(),
    /** true: only starred features. */
    starred: z.boolean().optional(),
    /** Only features in this named list. */
    list: z.string().min(1).optional(),
  })
  .strict();

/** Feature filters as core receives them. */
export type FeatureFilters = z.infer<typeof featureFilters>;

/** What a search looks for. */
export const featureQuery = z.discriminatedUnion('kind', [
  /** Every feature (filters and sort still apply). */
  z.object({ kind: z.literal('all') }).strict(),
  /** Feature ids as typed: "12", "12, 40-50". */
  z.object({ kind: z.literal('id'), text: z.string().min(1).max(2000) }).strict(),
  /** Label, notes and tags text (SQLite FTS5 syntax allowed; plain words match as prefixes). */
  z.object({ kind: z.literal('text'), text: z.string().min(1).max(500) }).strict(),
  /**
   * Features whose top-activating tokens contain this text (e.g. " Paris"), case-insensitive,
   * surrounding spaces ignored; `exact`: the whole token must match. Ranked by how many of the
   * feature's top examples fire on a matching token (the score).
   */
  z.object({ kind: z.literal('token'), text: z.string().min(1).max(200), exact: z.boolean().optional() }).strict(),
  /** Features whose decoder rows are nearest (cosine) to this feature's. */
  z.object({ kind: z.literal('similar'), feature: featureId }).strict(),
]);

/** A search query as core receives it. */
export type FeatureQuery = z.infer<typeof featureQuery>;

/**
 * Sort keys: `relevance` is the query's own score (token matches, cosine, FTS rank; id order for `all`/`id`);
 * `detection` and `fuzzing` are the newest auto explanation's scores (none counts as the lowest).
 */
export const featureSortKeys = ['relevance', 'id', 'density', 'max', 'count', 'detection', 'fuzzing'] as const;

/** Payload of `feature.search`. */
export const featureSearchPayload = z
  .object({
    db: dbPath,
    query: featureQuery,
    filters: featureFilters.optional(),
    sort: z.enum(featureSortKeys).default('relevance'),
    /** Default: descending for everything but `id`. */
    order: z.enum(['asc', 'desc']).optional(),
    offset: z.number().int().nonnegative().default(0),
    limit: z.number().int().min(1).max(5000).default(200),
  })
  .strict();

/** A token a feature's strongest activations fire on. */
export interface TopToken {
  /** The token as decoded, e.g. " years". */
  readonly text: string;
  /** How many of the feature's top examples (at most 20) activate on it. */
  readonly count: number;
}

/** One row of a feature list. */
export interface FeatureRow {
  readonly id: number;
  readonly count: number;
  readonly density: number;
  readonly max: number;
  /** The activation histogram downsampled to 16 bins over (0, max], for a sparkline. */
  readonly spark: readonly number[];
  readonly label: string | null;
  /** The best explanation imported from Neuronpedia, when the feature has one (shown beside or instead of a label). */
  readonly explanation: string | null;
  /** The newest automatic explanation (source `auto`) and its scores, when the feature has one. */
  readonly auto: AutoExplanationSummary | null;
  /** The tokens its top examples fire on, most first (at most 3; empty until the index is finished). */
  readonly topTokens: readonly TopToken[];
  readonly starred: boolean;
  readonly tags: readonly string[];
  /** The query's score for this row (token hits, cosine, FTS rank), when it has one. */
  readonly score: number | null;
}

/** What `feature.search` answers: one page of the matching features. */
export interface FeatureSearchResult {
  /** Matches after filters, before paging. */
  readonly total: number;
  readonly rows: readonly FeatureRow[];
  /** Something the user should know about the query (e.g. "ids above 1535 left out"), or null. */
  readonly note: string | null;
}

/** Payload of `prompt.rank`. */
export const promptRankPayload = z
  .object({
    text: z.string().min(1).max(20_000),
    /** Index for densities and labels (optional: without it, no density cutoff). */
    db: dbPath.optional(),
    /** Token range [from, to) to rank over; default all tokens. */
    span: z.object({ from: z.number().int().nonnegative(), to: z.number().int().nonnegative() }).strict().optional(),
    sort: z.enum(['max', 'sum']).default('max'),
    /** Leave out features denser than this (needs db). */
    maxDensity: z.number().min(0).max(1).optional(),
    /** Leave out the BOS token (default true): it makes every dense feature fire. */
    ignoreBos: z.boolean().default(true),
    /** Latents kept per token in `tokens` (default 8). */
    top: z.number().int().min(1).max(256).default(8),
    /** Features in `ranking` (default 50). */
    limit: z.number().int().min(1).max(1000).default(50),
  })
  .strict();

/** One token of a ranked prompt. */
export interface RankedToken {
  readonly id: number;
  readonly text: string;
  /** True for a prepended BOS. */
  readonly bos: boolean;
  /** [feature, value] pairs, strongest first, after the density cutoff. */
  readonly latents: readonly (readonly [number, number])[];
}

/** One feature ranked over a prompt span. */
export interface RankedFeature {
  readonly id: number;
  readonly max: number;
  readonly sum: number;
  /** Tokens in the span where it is active. */
  readonly tokens: number;
  /** From the index, when one was given. */
  readonly density: number | null;
  readonly label: string | null;
}

/** What `prompt.rank` answers. */
export interface PromptRanking {
  readonly tokens: readonly RankedToken[];
  /** The span actually ranked, [from, to). */
  readonly span: { readonly from: number; readonly to: number };
  readonly ranking: readonly RankedFeature[];
  /** When the capture keeps only each token's top latents (non-TopK SAEs), how many; null when exact. */
  readonly truncatedAt: number | null;
}

/** Payload of `feature.logits`. */
export const featureLogitsPayload = z
  .object({
    id: featureId,
    /** Tokens on each side (default 10). */
    k: z.number().int().min(1).max(100).default(10),
  })
  .strict();

/** One token a feature's decoder direction pushes up or down. */
export interface LogitEffect {
  readonly token: number;
  readonly text: string;
  /** W_dec[i] · W_U[:, token] (W_U with the final norm's scale folded in when `foldedNorm`). */
  readonly value: number;
}

/**
 * A histogram of a feature's logit effects over the whole vocabulary, named as SAEDashboard's
 * (and Neuronpedia's `logits_hist_data_bar_*`) histograms: equal-width bins over [min, max].
 */
export interface LogitHistogram {
  /** Tokens per bin. */
  readonly barHeights: readonly number[];
  /** The centre of each bin. */
  readonly barValues: readonly number[];
  readonly binWidth: number;
}

/** What `feature.logits` answers: the effects, or why they cannot be computed for this model. */
export type FeatureLogits =
  | {
      readonly available: true;
      readonly promoted: readonly LogitEffect[];
      readonly suppressed: readonly LogitEffect[];
      /** Every token's effect, binned (40 bins). */
      readonly histogram: LogitHistogram;
      /**
       * True when the final norm's scale γ was found and folded into W_U (W_U'[d, v] = γ[d] · W_U[d, v]),
       * as TransformerLens, SAELens and Neuronpedia do by default; false: the raw W_U.
       */
      readonly foldedNorm?: boolean;
    }
  | { readonly available: false; readonly reason: string };

/** Payload of `feature.nearest`. */
export const featureNearestPayload = z
  .object({
    id: featureId,
    n: z.number().int().min(1).max(200).default(10),
    /** Index for densities (optional). */
    db: dbPath.optional(),
  })
  .strict();

/** A feature near another by decoder cosine. */
export interface NearFeature {
  readonly id: number;
  readonly cosine: number;
  readonly label: string | null;
  readonly density: number | null;
}

/** Payload of `feature.cooccurring`. */
export const featureCooccurringPayload = z
  .object({
    db: dbPath,
    id: featureId,
    /** Order: Jaccard index (default) or raw count of shared tokens. */
    by: z.enum(['jaccard', 'count']).default('jaccard'),
    n: z.number().int().min(1).max(32).default(10),
  })
  .strict();

/** A feature active on the same tokens as another. */
export interface CooccurringFeature {
  readonly id: number;
  /** Tokens where both are active. */
  readonly count: number;
  /** count / tokens where either is active. */
  readonly jaccard: number;
  readonly label: string | null;
  readonly density: number;
}

/** What `feature.cooccurring` answers. */
export interface FeatureCooccurrence {
  readonly features: readonly CooccurringFeature[];
  /**
   * Share of the index's windows the counts cover: 1, or (for indexes too large to count
   * exactly) a fixed sample of windows chosen by a keyed hash.
   */
  readonly sampled: number;
  /** Tokens where this feature is active, in the counted windows. */
  readonly count: number;
}

/** Payload of `feature.onText`. */
export const featureOnTextPayload = z
  .object({
    id: featureId,
    text: z.string().min(1).max(20_000),
  })
  .strict();

/** One feature's activation on every token of a text. */
export interface FeatureOnText {
  readonly tokens: readonly { readonly text: string; readonly value: number; readonly bos: boolean }[];
  readonly max: number;
  /** Non-TopK SAEs: per-token lists were cut at this many latents, so small values may read 0; null when exact. */
  readonly truncatedAt: number | null;
}

/** Payload of `feature.ablate`. */
export const featureAblatePayload = z
  .object({
    db: dbPath,
    id: featureId,
    /** The example's window and the activating token's position in it (as `feature.get` gives them). */
    window: z.number().int().nonnegative(),
    position: z.number().int().nonnegative(),
  })
  .strict();

/** A token's next-token log-probability with and without the feature. */
export interface AblatedToken {
  readonly id: number;
  readonly text: string;
  readonly clean: number;
  readonly ablated: number;
}

/**
 * What `feature.ablate` answers: the model's next-token distribution after the activating
 * token, clean and with this feature zero-ablated at that token (the steer graph with the
 * latent clamped to 0 there, the SAE's error term kept).
 */
export interface FeatureAblation {
  /** The feature's activation at the token (what was removed). */
  readonly value: number;
  /** The token that follows in the corpus, with its log-probabilities; null at the end of a window. */
  readonly next: AblatedToken | null;
  /** Tokens whose log-probability fell most when the feature was removed (it promoted them). */
  readonly dropped: readonly AblatedToken[];
  /** Tokens whose log-probability rose most. */
  readonly raised: readonly AblatedToken[];
}

/** Every request of this area, by name. */
export const explorerRequests = {
  /**
   * Searches the features of an index's SAE: by id, label/notes/tags text (FTS5), top-token
   * text or decoder similarity; filtered by density, max, labelled, starred or list; sorted
   * and paged. Labels come from the annotations of the SAE the index was built from (the
   * workspace SAE's when it is the same weights).
   */
  'feature.search': request<FeatureSearchResult>()(featureSearchPayload),

  /**
   * Runs the capture graph on text and ranks features over a token span by max or sum
   * activation, with a density cutoff and BOS left out by default.
   */
  'prompt.rank': request<PromptRanking>()(promptRankPayload),

  /**
   * The tokens a feature's decoder direction promotes and suppresses most: W_dec[i] · W_U,
   * with W_U read from the ONNX model's unembedding and the final norm's scale folded in when
   * found. When it cannot be found, or the SAE is not on the residual stream (or an
   * attention / MLP output), says why.
   */
  'feature.logits': request<FeatureLogits>()(featureLogitsPayload),

  /** The n features whose decoder rows are nearest (cosine) to this one's, nearest first. */
  'feature.nearest': request<NearFeature[]>()(featureNearestPayload),

  /**
   * The features most often active on the same tokens as this one, from the index (counted
   * once when the index is finalized; an older index is counted on first use): count of shared
   * tokens and Jaccard index, best first.
   */
  'feature.cooccurring': request<FeatureCooccurrence>()(featureCooccurringPayload),

  /** Runs the capture graph on typed text and answers this feature's activation at every token. */
  'feature.onText': request<FeatureOnText>()(featureOnTextPayload),

  /**
   * The change in next-token log-probabilities when this feature is zero-ablated at an
   * example's activating token (index `db`, window, position), computed on demand.
   */
  'feature.ablate': request<FeatureAblation>()(featureAblatePayload),
} as const satisfies Record<string, RequestDef<z.ZodType, unknown>>;
