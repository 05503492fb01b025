/**
 * The part of `feature.search` after the query: filters over index statistics and
 * annotations, sorting, paging and the rows' shape. Pure (no I/O), so it is cheap to test
 * and fast: one pass over at most d_sae candidates.
 */
import type { Annotation } from '#shared/annotation-types.ts';
import type { AutoExplanationSummary } from '#shared/autointerp-types.ts';
import type { FeatureFilters, FeatureRow, FeatureSearchResult, featureSortKeys, TopToken } from '#shared/explorer-types.ts';
import type { FeatureTable } from './feature-table.ts';

/** A feature a query matched, with its score when the query has one. */
export interface Candidate {
  readonly id: number;
  readonly score: number | null;
}

/** What a row shows besides statistics and the user's annotation. */
export interface RowExtras {
  /** The feature's best imported explanation, or null. */
  explanation(id: number): string | null;
  topTokens(id: number): readonly TopToken[];
  /** The feature's newest auto explanation, or null. */
  auto?(id: number): AutoExplanationSummary | null;
}

/** How to order and page the matches. */
export interface SearchView {
  readonly filters?: FeatureFilters | undefined;
  readonly sort: (typeof featureSortKeys)[number];
  readonly order?: 'asc' | 'desc' | undefined;
  readonly offset: number;
  readonly limit: number;
}

const labelled = (a: Annotation | undefined): boolean => !!a && a.label.trim() !== '';

/** Applies filters, sort and paging to a query's candidates. */
export function searchPage(
  table: FeatureTable,
  annotations: ReadonlyMap<number, Annotation>,
  candidates: readonly Candidate[],
  view: SearchView,
  note: string | null,
  /** Whether the query ranks its candidates itself (text, token, similar); else relevance is id order. */
  scored: boolean,
  extras: RowExtras = { explanation: () => null, topTokens: () => [] },
): FeatureSearchResult {
  const f = view.filters ?? {};
  const keep = candidates.filter(({ id }) => {
    if (id < 0 || id >= table.dSae) return false;
    if (f.densityMin !== undefined || f.densityMax !== undefined) {
      const d = table.density(id);
      if (f.densityMin !== undefined && d < f.densityMin) return false;
      if (f.densityMax !== undefined && d > f.densityMax) return false;
    }
    const m = table.max[id]!;
    if (f.maxMin !== undefined && m < f.maxMin) return false;
    if (f.maxMax !== undefined && m > f.maxMax) return false;
    if (f.labelled !== undefined || f.starred !== undefined || f.list !== undefined) {
      const a = annotations.get(id);
      if (f.labelled !== undefined && labelled(a) !== f.labelled) return false;
      if (f.starred !== undefined && (a?.starred ?? false) !== f.starred) return false;
      if (f.list !== undefined && !a?.lists.includes(f.list)) return false;
    }
    return true;
  });

  const byRelevance = view.sort === 'relevance' && scored;
  // an auto score sorts as the lowest where the feature has none
  const autoKey = view.sort === 'detection' || view.sort === 'fuzzing' ? view.sort : null;
  const key: (id: number, score: number | null) => number = autoKey
    ? (id) => extras.auto?.(id)?.[autoKey] ?? -Infinity
    : view.sort === 'density'
      ? (id) => table.count[id]!
      : view.sort === 'count'
        ? (id) => table.count[id]!
        : view.sort === 'max'
          ? (id) => table.max[id]!
          : byRelevance
            ? (_, score) => score ?? -Infinity
            : (id) => id;
  const idOrder = view.sort === 'id' || (view.sort === 'relevance' && !scored);
  const desc = (view.order ?? (idOrder ? 'asc' : 'desc')) === 'desc';
  const sign = desc ? -1 : 1;
  const sorted = keep
    .map((c) => ({ c, k: key(c.id, c.score) }))
    .sort((a, b) => (a.k === b.k ? a.c.id - b.c.id : a.k < b.k ? -sign : sign))
    .map((x) => x.c);

  const rows: FeatureRow[] = sorted.slice(view.offset, view.offset + view.limit).map(({ id, score }) => {
    const a = annotations.get(id);
    return {
      id,
      count: table.count[id]!,
      density: table.density(id),
      max: table.max[id]!,
      spark: table.spark(id),
      label: labelled(a) ? a!.label : null,
      explanation: extras.explanation(id),
      auto: extras.auto?.(id) ?? null,
      topTokens: extras.topTokens(id),
      starred: a?.starred ?? false,
      tags: a?.tags ?? [],
      score,
    };
  });
  return { total: keep.length, rows, note };
}
