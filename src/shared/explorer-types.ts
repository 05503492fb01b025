/**
 * Payloads and results of the requests about: feature search, prompt ranking, logit effects
 * and nearest features (`feature.search`, `prompt.rank`, `feature.logits`, `feature.nearest`).
 * They work on the workspace's model + SAE (the loaded engine) and, for statistics, on an
 * activation index (`db`). Pure: zod and types only. contract.ts merges `explorerRequests`.
 */
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

/** Sort keys: `relevance` is the query's own score (token matches, cosine, FTS rank; id order for `all`/`id`). */
export const featureSortKeys = ['relevance', 'id', 'density', 'max', 'count'] as const;

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

/** One row of a feature list. */
export interface FeatureRow {
  readonly id: number;
  readonly count: number;
  readonly density: number;
  readonly max: number;
  /** The activation histogram downsampled to 16 bins over (0, max], for a sparkline. */
  readonly spark: readonly number[];
  readonly label: string | null;
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

/** What `feature.logits` answers: the effects, or why they cannot be computed for this model. */
export type FeatureLogits =
  | {
      readonly available: true;
      readonly promoted: readonly LogitEffect[];
      readonly suppressed: readonly LogitEffect[];
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
} as const satisfies Record<string, RequestDef<z.ZodType, unknown>>;
