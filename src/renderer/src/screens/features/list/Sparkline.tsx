import { sparkHeights } from './sparkline.ts';

/** A tiny bar chart of a histogram (one div per bin: cheap enough for thousands of rows). */
export function Sparkline({ bins, label }: { bins: readonly number[]; label: string }) {
  const heights = sparkHeights(bins);
  return (
    <span role="img" aria-label={label} className="flex h-5 w-24 shrink-0 items-end gap-px" data-testid="sparkline">
      {heights.map((h, i) => (
        <span
          key={i}
          className="flex-1 rounded-t-[1px] bg-violet-500/70 dark:bg-violet-400/70"
          style={{ height: `${Math.round(h * 100)}%` }}
        />
      ))}
    </span>
  );
}
