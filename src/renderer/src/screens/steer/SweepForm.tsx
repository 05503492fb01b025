import { Checkbox } from '../../components/Checkbox.tsx';
import { cx } from '../../components/ui.tsx';
import { DEFAULT_SWEEP, parseFactors, updateDraft, type Draft } from './draft.ts';

const inputClass =
  'rounded-md border border-zinc-300 bg-white px-2 py-1 text-xs tabular-nums text-zinc-900 focus-visible:outline-2 focus-visible:outline-violet-500 disabled:opacity-50 dark:border-zinc-700 dark:bg-zinc-950 dark:text-zinc-100';

/**
 * A strength sweep (every feature's value × each factor, one steered run per factor, all on
 * the same seed) and the number of sampled continuations per side.
 */
export function SweepForm({ draft }: { draft: Draft }) {
  const parsed = draft.sweep.on ? parseFactors(draft.sweep.factors) : null;
  const bad = parsed !== null && 'problem' in parsed;
  const greedy = draft.settings.greedy;
  return (
    <div
      className="mt-3 flex flex-wrap items-start gap-x-6 gap-y-2 border-t border-zinc-100 pt-3 text-xs dark:border-zinc-800"
      role="group"
      aria-label="Sweep and samples"
    >
      <div className="flex flex-col gap-1">
        <Checkbox checked={draft.sweep.on} onChange={(on) => updateDraft((d) => ({ ...d, sweep: { ...d.sweep, on } }))}>
          <span className="font-medium">Strength sweep</span>
        </Checkbox>
        <label className="flex items-center gap-1.5">
          <span className="text-zinc-600 dark:text-zinc-400">factors</span>
          <input
            value={draft.sweep.factors}
            onChange={(e) => updateDraft((d) => ({ ...d, sweep: { on: true, factors: e.target.value } }))}
            aria-label="Sweep factors"
            aria-invalid={bad}
            disabled={!draft.sweep.on}
            placeholder={DEFAULT_SWEEP}
            className={cx(inputClass, 'w-44 font-mono', bad && 'border-rose-500 dark:border-rose-500')}
          />
        </label>
        <span className="max-w-xs text-zinc-500 dark:text-zinc-400">
          One steered run per factor: every feature’s value × the factor (with the “× max” presets, factors of the max activation), all on
          the same seed, generated together in one batch.
        </span>
      </div>
      <div className="flex flex-col gap-1">
        <label className="flex items-center gap-1.5">
          <span className="font-medium">Samples per side</span>
          <input
            type="number"
            min={1}
            max={16}
            value={draft.samples}
            onChange={(e) => {
              const n = Math.floor(Number(e.target.value));
              if (Number.isFinite(n)) updateDraft((d) => ({ ...d, samples: Math.min(16, Math.max(1, n)) }));
            }}
            aria-label="Samples per side"
            className={cx(inputClass, 'w-16')}
          />
        </label>
        <span
          className={cx('max-w-xs', greedy && draft.samples > 1 ? 'text-rose-600 dark:text-rose-400' : 'text-zinc-500 dark:text-zinc-400')}
        >
          {greedy
            ? 'Several samples need sampling: choose “sample” above (greedy gives one continuation).'
            : `Seeds ${draft.settings.seed}…${draft.settings.seed + draft.samples - 1}; both sides of a sample share its seed.`}
        </span>
      </div>
    </div>
  );
}
