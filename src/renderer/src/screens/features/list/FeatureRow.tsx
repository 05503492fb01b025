import type { FeatureRow } from '#shared/explorer-types.ts';
import { cx } from '../../../components/ui.tsx';
import { href } from '../../../routes.ts';
import { formatDensity, formatScore, formatValue } from '../common/format.ts';
import { COLS_PLAIN, COLS_SCORE } from './columns.ts';
import { Sparkline } from './Sparkline.tsx';
import { TokenChips } from './TokenChips.tsx';

/** An auto score as shown in a row. */
const autoScore = (v: number | null): string => (v === null ? '–' : v.toFixed(2));

/** One row of the feature list: a placeholder until its page has loaded. */
export function FeatureListRow({
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
      <RowLabel row={row} />
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

/** The label cell: your label, else an imported or automatic explanation; then auto scores and tags. */
function RowLabel({ row }: { row: FeatureRow }) {
  return (
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
  );
}
