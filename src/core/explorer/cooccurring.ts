/** `feature.cooccurring`: a feature's co-occurring features from its index's stored row, ranked. */
import type { CooccurringFeature, FeatureCooccurrence } from '#shared/explorer-types.ts';
import type { CooccurrenceMeta, CooccurrenceRow } from '../index/cooccurrence.ts';
import type { FeatureTable } from './feature-table.ts';

/** Ranks a stored row by Jaccard index or shared count (ties: lower id first) and keeps `n`. */
export function rankCooccurring(
  row: CooccurrenceRow,
  meta: CooccurrenceMeta,
  table: FeatureTable,
  by: 'jaccard' | 'count',
  n: number,
  label: (id: number) => string | null,
): FeatureCooccurrence {
  const features: CooccurringFeature[] = row.entries.map((e) => ({
    id: e.id,
    count: e.shared,
    jaccard: e.shared / (row.count + e.otherCount - e.shared),
    label: label(e.id),
    density: table.density(e.id),
  }));
  features.sort((a, b) => (by === 'count' ? b.count - a.count : b.jaccard - a.jaccard) || a.id - b.id);
  return { features: features.slice(0, n), sampled: meta.sampled, count: row.count };
}
