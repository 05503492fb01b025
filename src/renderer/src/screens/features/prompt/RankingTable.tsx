import type { RankedFeature } from '#shared/explorer-types.ts';
import { cx } from '../../../components/ui.tsx';
import { href, navigate } from '../../../routes.ts';
import { formatDensity, formatValue } from '../common/format.ts';
import { useListKeys } from '../common/use-list-keys.ts';

/** Features ranked over the span; hover colours the tokens, j/k + Enter opens one. */
export function RankingTable({
  ranking,
  sort,
  onHover,
  answers,
}: {
  ranking: readonly RankedFeature[];
  sort: 'max' | 'sum';
  onHover: (id: number | null) => void;
  /** "from-to:sort" of the request this ranking answers; null while a newer one is on its way. */
  answers: string | null;
}) {
  const { active, setActive } = useListKeys({
    count: ranking.length,
    onOpen: (i) => {
      const f = ranking[i];
      if (f) navigate('features', [f.id]);
    },
  });
  if (ranking.length === 0) {
    return (
      <p className="text-sm text-zinc-500 dark:text-zinc-400">
        No feature fires here (after the density cutoff). Select another span or loosen the cutoff.
      </p>
    );
  }
  return (
    <div>
      <div
        className="grid grid-cols-[3.5rem_minmax(0,1fr)_3.5rem_3.5rem] gap-2 px-3 pb-1 text-[11px] font-medium text-zinc-500 dark:text-zinc-400"
        aria-hidden="true"
      >
        <span>Feature</span>
        <span>Label · density</span>
        <span className="text-right">max</span>
        <span className="text-right">sum</span>
      </div>
      <ol
        className="divide-y divide-zinc-100 rounded-lg border border-zinc-200 dark:divide-zinc-800 dark:border-zinc-800"
        data-testid="ranking"
        data-answers={answers ?? undefined}
        onMouseLeave={() => onHover(null)}
      >
        {ranking.map((f, i) => (
          <li key={f.id}>
            <RankedRow
              feature={f}
              sort={sort}
              active={i === active}
              onHover={() => {
                onHover(f.id);
                setActive(i);
              }}
              onFocus={() => onHover(f.id)}
            />
          </li>
        ))}
      </ol>
    </div>
  );
}

/** One ranked feature: a link to its page, its max and sum (the ranking's own in bold). */
function RankedRow({
  feature: f,
  sort,
  active,
  onHover,
  onFocus,
}: {
  feature: RankedFeature;
  sort: 'max' | 'sum';
  active: boolean;
  onHover: () => void;
  onFocus: () => void;
}) {
  return (
    <a
      href={href('features', [f.id])}
      onMouseEnter={onHover}
      onFocus={onFocus}
      data-testid="ranked-feature"
      data-feature={f.id}
      className={cx(
        'grid grid-cols-[3.5rem_minmax(0,1fr)_3.5rem_3.5rem] items-center gap-2 px-3 py-1.5 text-sm focus-visible:outline-2 focus-visible:outline-violet-500',
        active ? 'bg-violet-50 dark:bg-violet-500/10' : 'hover:bg-zinc-50 dark:hover:bg-zinc-800/50',
      )}
    >
      <span className="font-mono text-xs text-zinc-500 dark:text-zinc-400">#{f.id}</span>
      <span className="min-w-0 truncate">
        {f.label || <span className="text-zinc-400 italic dark:text-zinc-500">unlabelled</span>}
        {f.density !== null && <span className="ml-1.5 font-mono text-[11px] text-zinc-400">{formatDensity(f.density)}</span>}
      </span>
      <span className={cx('text-right font-mono text-xs', sort === 'max' ? 'font-semibold' : 'text-zinc-500')} title="max over the span">
        {formatValue(f.max)}
      </span>
      <span
        className={cx('text-right font-mono text-xs', sort === 'sum' ? 'font-semibold' : 'text-zinc-500')}
        title={`sum over ${f.tokens} tokens`}
      >
        {formatValue(f.sum)}
      </span>
    </a>
  );
}
