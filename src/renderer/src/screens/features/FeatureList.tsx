import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';
import type { AutoExplanationSummary } from '../../../../shared/autointerp-types.ts';
import type { FeatureRow } from '../../../../shared/explorer-types.ts';
import { cx } from '../../components/ui.tsx';
import { href, navigate } from '../../routes.ts';
import { formatDensity, formatScore, formatValue } from './format.ts';
import { Sparkline } from './Sparkline.tsx';
import { TokenChips } from './TokenChips.tsx';
import { useListKeys } from './use-list-keys.ts';
import type { SearchResults } from './use-feature-search.ts';

const ROW_HEIGHT = 44;
// Whole class names (Tailwind only sees literal strings): with and without a score column.
const COLS_SCORE = 'grid-cols-[4.5rem_1fr_11rem_4.5rem_5rem_4rem_6.5rem]';
const COLS_PLAIN = 'grid-cols-[4.5rem_1fr_11rem_5rem_4rem_6.5rem]';

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
              <Row
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

/** An auto score as shown in a row. */
const autoScore = (v: number | null): string => (v === null ? '–' : v.toFixed(2));

function Row({
  index,
  row,
  active,
  showScore,
  onHover,
}: {
  index: number;
  row: FeatureRow | undefined;
  active: boolean;
  showScore: boolean;
  onHover: () => void;
}) {
  const base = cx(
    'grid h-full',
    showScore ? COLS_SCORE : COLS_PLAIN,
    'items-center gap-3 border-b border-zinc-100 px-4 text-sm dark:border-zinc-800/70',
  );
  if (!row) {
    return (
      <div id={`feature-row-${index}`} role="option" aria-selected={active} className={cx(base, 'text-zinc-400')}>
        <span className="font-mono text-xs">…</span>
        <span className="h-3 w-40 animate-pulse rounded bg-zinc-100 dark:bg-zinc-800" />
      </div>
    );
  }
  return (
    <a
      id={`feature-row-${index}`}
      role="option"
      aria-selected={active}
      href={href('features', [row.id])}
      tabIndex={-1}
      onMouseMove={active ? undefined : onHover}
      data-testid="feature-row"
      data-feature={row.id}
      className={cx(
        base,
        'hover:bg-violet-50/60 dark:hover:bg-violet-500/5',
        active && 'bg-violet-50 ring-1 ring-violet-300 ring-inset dark:bg-violet-500/10 dark:ring-violet-500/40',
      )}
    >
      <span className="font-mono text-xs text-zinc-500 dark:text-zinc-400">
        #{row.id}
        {row.starred && (
          <span className="ml-1 text-amber-500" aria-label="starred">
            ★
          </span>
        )}
      </span>
      <span className="min-w-0 truncate">
        {row.label ? (
          <span className="text-zinc-900 dark:text-zinc-100">{row.label}</span>
        ) : row.explanation ? (
          <span className="text-zinc-600 dark:text-zinc-300" title="An explanation imported from Neuronpedia" data-testid="row-explanation">
            <span className="mr-1 rounded bg-sky-50 px-1 py-px text-[10px] font-medium text-sky-700 dark:bg-sky-500/10 dark:text-sky-300">
              NP
            </span>
            {row.explanation}
          </span>
        ) : row.auto ? (
          <span
            className="text-zinc-600 dark:text-zinc-300"
            title={`An automatic explanation by ${row.auto.explainerModel} (not your label)`}
            data-testid="row-auto-explanation"
          >
            <span className="mr-1 rounded bg-amber-50 px-1 py-px text-[10px] font-medium text-amber-700 dark:bg-amber-500/10 dark:text-amber-300">
              auto
            </span>
            {row.auto.description}
          </span>
        ) : (
          <span className="text-zinc-400 italic dark:text-zinc-500">unlabelled</span>
        )}
        {row.auto && (row.auto.detection !== null || row.auto.fuzzing !== null) && (
          <span
            className="ml-1.5 font-mono text-[11px] text-zinc-500 dark:text-zinc-400"
            title={`Scores of the automatic explanation “${row.auto.description}”: detection and fuzzing balanced accuracy`}
            data-testid="row-auto-scores"
          >
            det {autoScore(row.auto.detection)} · fuzz {autoScore(row.auto.fuzzing)}
          </span>
        )}
        {row.tags.map((t) => (
          <span key={t} className="ml-1.5 rounded bg-zinc-100 px-1 py-px text-[11px] text-zinc-600 dark:bg-zinc-800 dark:text-zinc-400">
            {t}
          </span>
        ))}
      </span>
      <TokenChips tokens={row.topTokens} label={`Top tokens of feature ${row.id}`} testId="row-top-tokens" compact />
      {showScore && (
        <span className="text-right font-mono text-xs text-violet-700 dark:text-violet-300">
          {row.score === null ? '' : formatScore(row.score)}
        </span>
      )}
      <span className="text-right font-mono text-xs text-zinc-600 dark:text-zinc-300">{formatDensity(row.density)}</span>
      <span className="text-right font-mono text-xs text-zinc-600 dark:text-zinc-300">{formatValue(row.max)}</span>
      <Sparkline bins={row.spark} label={`activation histogram of feature ${row.id}`} />
    </a>
  );
}
