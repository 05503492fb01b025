import type { RankedToken } from '#shared/explorer-types.ts';
import { cx } from '../../../components/ui.tsx';
import { href } from '../../../routes.ts';
import { formatValue } from '../common/format.ts';

/** A token's strongest features as links to their pages; the highlighted one stands out. */
export function TokenFeatures({ latents, highlight }: { latents: RankedToken['latents']; highlight: number | null }) {
  return (
    <span className="flex min-w-0 flex-1 flex-wrap gap-1">
      {latents.length === 0 && <span className="text-xs text-zinc-400">—</span>}
      {latents.map(([f, v]) => (
        <a
          key={f}
          href={href('features', [f])}
          className={cx(
            'rounded px-1.5 py-0.5 font-mono text-[11px] ring-1 ring-inset focus-visible:outline-2 focus-visible:outline-violet-500',
            f === highlight
              ? 'bg-orange-100 text-orange-900 ring-orange-300 dark:bg-orange-500/20 dark:text-orange-200 dark:ring-orange-500/40'
              : 'text-zinc-700 ring-zinc-200 hover:bg-zinc-50 dark:text-zinc-300 dark:ring-zinc-700 dark:hover:bg-zinc-800',
          )}
          data-testid="token-feature"
          title={`feature ${f}: ${formatValue(v)}`}
        >
          #{f} <span className="text-zinc-400">{formatValue(v)}</span>
        </a>
      ))}
    </span>
  );
}
