import { useCallback, useState } from 'react';
import type { FeatureDashboard } from '#shared/contract.ts';
import { useRequest } from '../../../api/api-context.tsx';
import { Button, ErrorNote } from '../../../components/ui.tsx';
import { ActivationHistogram } from './ActivationHistogram.tsx';
import { ExampleList } from '../examples/ExampleList.tsx';
import { InlineError, inputClass, Loading } from '../common/explorer-ui.tsx';
import { REQUEST_CONTEXT } from '../examples/examples.ts';
import { formatCount } from '../common/format.ts';
import { bottomShare, formatRange, inclusiveHi, parseRange, type ActivationRange } from './range.ts';

/** Examples drawn per sample. */
const SAMPLE_SIZE = 20;

/**
 * The activation histogram as a range picker: drag across it, type a range or take the
 * bottom 10% of max, and get a fresh random sample of activations in that range; re-roll.
 */
export function RangeSampler({ db, dashboard, context }: { db: string; dashboard: FeatureDashboard; context: number }) {
  const [range, setRange] = useState<ActivationRange | null>(null);
  const [seed, setSeed] = useState(1);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);

  const pick = useCallback((r: ActivationRange) => {
    setRange(r);
    setText(formatRange(r, 4));
    setError(null);
    setSeed((s) => s + 1);
  }, []);

  const submit = (): void => {
    const parsed = parseRange(text, dashboard.max);
    // A typed upper bound that matches max as displayed (rounded) means "up to max, included".
    if (parsed.ok)
      pick(
        parsed.range.hi >= Number(dashboard.max.toPrecision(4))
          ? { lo: parsed.range.lo, hi: inclusiveHi(dashboard.max, dashboard.max) }
          : parsed.range,
      );
    else setError(parsed.error);
  };

  return (
    <div className="space-y-3">
      <ActivationHistogram histogram={dashboard.histogram} max={dashboard.max} range={range} onRange={pick} />
      <form
        className="flex flex-wrap items-center gap-2"
        aria-label="Sample an activation range"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <label className="flex items-center gap-1.5 text-xs text-zinc-500 dark:text-zinc-400">
          Range
          <input
            aria-label="Activation range"
            value={text}
            placeholder={`e.g. ${formatRange({ lo: dashboard.max / 2, hi: dashboard.max })}, bottom 10%`}
            onChange={(e) => setText(e.target.value)}
            className={`${inputClass} w-56 py-1 font-mono text-xs`}
          />
        </label>
        <Button type="submit">Sample</Button>
        <Button onClick={() => pick(bottomShare(dashboard.max, 0.1))} disabled={!(dashboard.max > 0)}>
          Bottom 10% of max
        </Button>
        {range && (
          <Button onClick={() => setSeed((s) => s + 1)} label="Re-roll: draw another random sample">
            Re-roll
          </Button>
        )}
        {error && <InlineError>{error}</InlineError>}
      </form>
      {range ? (
        <Sample db={db} id={dashboard.id} range={range} seed={seed} context={context} max={dashboard.max} />
      ) : (
        <p className="text-xs text-zinc-500 dark:text-zinc-400">
          Drag across the histogram (or type a range) to see random activations from it.
        </p>
      )}
    </div>
  );
}

function Sample({
  db,
  id,
  range,
  seed,
  context,
  max,
}: {
  db: string;
  id: number;
  range: ActivationRange;
  seed: number;
  context: number;
  max: number;
}) {
  const { state, reload } = useRequest('feature.sample', {
    db,
    id,
    lo: range.lo,
    hi: range.hi,
    n: SAMPLE_SIZE,
    seed,
    context: REQUEST_CONTEXT,
  });
  if (state.status === 'loading') return <Loading what="a sample" />;
  if (state.status === 'error') return <ErrorNote title="Could not sample that range" message={state.error.message} onRetry={reload} />;
  const s = state.value;
  return (
    <div data-testid="range-sample" data-lo={range.lo} data-hi={range.hi} data-matching={s.matching}>
      <p className="text-xs text-zinc-500 dark:text-zinc-400" data-testid="sample-summary" data-seed={seed}>
        {formatCount(s.matching)} activation{s.matching === 1 ? '' : 's'} in {formatRange(range)} · showing {s.examples.length} at random
      </p>
      <ExampleList examples={s.examples} context={context} max={max} empty="Nothing fires in this range: pick a wider one." />
    </div>
  );
}
