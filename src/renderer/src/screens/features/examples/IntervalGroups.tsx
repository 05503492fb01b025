import type { FeatureInterval } from '#shared/contract.ts';
import { ExampleList } from './ExampleList.tsx';
import { formatCount, formatDensity } from '../common/format.ts';
import { formatRange } from '../histogram/range.ts';

/** The 10 activation intervals, strongest first, each with its seeded sample of examples. */
export function IntervalGroups({ intervals, context, max }: { intervals: readonly FeatureInterval[]; context: number; max: number }) {
  const ordered = [...intervals].reverse();
  return (
    <div className="space-y-2" data-testid="intervals">
      {ordered.map((iv, i) => (
        <details key={`${iv.lo}`} open={i < 3 && iv.count > 0} className="group rounded-lg border border-zinc-200 dark:border-zinc-800">
          <summary className="flex cursor-pointer items-center gap-3 px-3 py-2 text-xs font-medium tracking-wide text-zinc-600 uppercase select-none dark:text-zinc-300">
            <span data-testid="interval-title">
              Interval {formatRange(iv)} · Contains {formatDensity(iv.share)}
            </span>
            <span className="ml-auto font-mono font-normal text-zinc-400 normal-case">{formatCount(iv.count)} activations</span>
          </summary>
          <div className="border-t border-zinc-100 px-3 py-1 dark:border-zinc-800">
            <ExampleList examples={iv.examples} context={context} max={max} empty="No activations in this interval." />
          </div>
        </details>
      ))}
    </div>
  );
}
