import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';
import type { AutoExplanationSummary } from '#shared/autointerp-types.ts';
import type { FeatureRow } from '#shared/explorer-types.ts';
import { cx } from '../../../components/ui.tsx';
import { navigate } from '../../../routes.ts';
import { useListKeys } from '../common/use-list-keys.ts';
import type { SearchResults } from '../search/use-feature-search.ts';
import { COLS_PLAIN, COLS_SCORE, ROW_HEIGHT } from './columns.ts';
import { FeatureListRow } from './FeatureRow.tsx';

/** The search results, virtualised: only the rows in view are drawn, pages load as you scroll. */
export function FeatureList({
  results,
  scoreLabel,
  live,
}: {
  results: SearchResults;
  scoreLabel: string | null;
  /** Auto explanations newer than the fetched rows, by feature. */
  live?: ReadonlyMap<number, AutoExplanationSummary>;
}) {
  const total = results.total ?? 0;
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count: total,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtual.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items.at(-1)?.index ?? -1;

  // Ask for the pages of the rows in view (and just past them).
  useEffect(() => {
    if (last >= 0) results.need(first, last + 50);
  }, [results, first, last]);

  const open = (i: number): void => {
    const row = results.row(i);
    if (row) navigate('features', [row.id]);
  };
  const { active, setActive } = useListKeys({ count: total, onOpen: open, pageSize: 10 });
  useEffect(() => {
    if (active >= 0) virtual.scrollToIndex(active, { align: 'auto' });
  }, [active, virtual]);

  return (
    <div className="overflow-hidden rounded-xl border border-zinc-200 dark:border-zinc-800">
      <ListHeader scoreLabel={scoreLabel} />
      <div
        ref={scroller}
        role="listbox"
        aria-label="Matching features"
        aria-activedescendant={active >= 0 ? `feature-row-${active}` : undefined}
        tabIndex={0}
        data-testid="feature-results"
        className="max-h-[min(65vh,44rem)] overflow-y-auto focus:outline-2 focus:outline-offset-[-2px] focus:outline-violet-500/50"
      >
        <div className="relative w-full" style={{ height: `${virtual.getTotalSize()}px` }}>
          {items.map((item) => (
            <div
              key={item.key}
              className="absolute inset-x-0 top-0"
              style={{ height: `${item.size}px`, transform: `translateY(${item.start}px)` }}
            >
              <FeatureListRow
                index={item.index}
                row={withLive(results.row(item.index), live)}
                active={item.index === active}
                showScore={scoreLabel !== null}
                onHover={() => setActive(item.index)}
              />
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}

/** A row with its auto explanation replaced by a newer one that arrived since it was fetched. */
function withLive(row: FeatureRow | undefined, live: ReadonlyMap<number, AutoExplanationSummary> | undefined): FeatureRow | undefined {
  const auto = row && live?.get(row.id);
  return row && auto ? { ...row, auto } : row;
}

/** The column headings (the score column only when the search ranks by a score). */
function ListHeader({ scoreLabel }: { scoreLabel: string | null }) {
  return (
    <div
      className={cx(
        'grid gap-3 border-b',
        scoreLabel !== null ? COLS_SCORE : COLS_PLAIN,
        ' border-zinc-200 bg-zinc-50 px-4 py-2 text-xs font-medium text-zinc-500 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-400',
      )}
      aria-hidden="true"
    >
      <span>Feature</span>
      <span>Label</span>
      <span>Top tokens</span>
      {scoreLabel !== null && <span className="text-right">{scoreLabel}</span>}
      <span className="text-right">Density</span>
      <span className="text-right">Max</span>
      <span>Activations</span>
    </div>
  );
}
