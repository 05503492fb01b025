import type { Positions, SteerMode } from '#shared/intervention.ts';
import { cx } from '../../components/ui.tsx';
import { roundValue, type DraftFeature } from './draft.ts';
import { patch } from './feature-patch.ts';
import { short } from './format.ts';
import { inputClass } from './input-class.ts';

const modeHelp: Record<SteerMode, string> = {
  clamp: 'set the latent to the value',
  add: 'add value × the decoder direction',
  scale: 'multiply the latent by the value',
};

/** Clamp, add or scale; leaving or entering scale swaps the value for one that fits the mode. */
export function ModeSwitch({ f, max }: { f: DraftFeature; max: number | null }) {
  return (
    <div
      role="radiogroup"
      aria-label={`Mode of feature ${f.feature}`}
      className="inline-flex overflow-hidden rounded-md border border-zinc-300 dark:border-zinc-700"
    >
      {(['clamp', 'add', 'scale'] as const).map((m) => (
        <button
          key={m}
          type="button"
          role="radio"
          aria-checked={f.mode === m}
          title={modeHelp[m]}
          onClick={() =>
            patch(f.key, {
              mode: m,
              value: m === 'scale' ? '2' : f.mode === 'scale' ? (max !== null ? roundValue(max * 2) : '10') : f.value,
            })
          }
          className={cx(
            'px-2.5 py-1 text-xs font-medium',
            f.mode === m
              ? 'bg-violet-600 text-white'
              : 'bg-white text-zinc-700 hover:bg-zinc-50 dark:bg-zinc-900 dark:text-zinc-300 dark:hover:bg-zinc-800',
          )}
        >
          {m}
        </button>
      ))}
    </div>
  );
}

/** The value field, named for the mode; marked invalid when it is not a number. */
export function ValueField({ f }: { f: DraftFeature }) {
  const bad = f.value.trim() === '' || !Number.isFinite(Number(f.value));
  return (
    <label className="flex items-center gap-1.5 text-xs">
      <span className="text-zinc-600 dark:text-zinc-400">{f.mode === 'clamp' ? 'to' : f.mode === 'add' ? 'strength' : 'factor'}</span>
      <input
        value={f.value}
        onChange={(e) => patch(f.key, { value: e.target.value })}
        inputMode="decimal"
        aria-label={`Value for feature ${f.feature}`}
        aria-invalid={bad}
        className={cx(inputClass, 'w-20 tabular-nums', bad && 'border-rose-500 dark:border-rose-500')}
      />
    </label>
  );
}

/** Quick values: factors for scale, multiples of the max activation otherwise (none when it is unknown). */
export function Presets({ f, max }: { f: DraftFeature; max: number | null }) {
  const presets = f.mode === 'scale' ? [0, 0.5, 2, 5, 10] : max !== null ? [0, 0.5, 1, 2, 5, 10] : [];
  if (presets.length === 0) return null;
  return (
    <div className="flex flex-wrap items-center gap-1" aria-label={`Presets for feature ${f.feature}`}>
      {presets.map((k) => {
        const v = f.mode === 'scale' ? k : k * max!;
        return (
          <button
            key={k}
            type="button"
            onClick={() => patch(f.key, { value: roundValue(v) })}
            title={f.mode === 'scale' ? `factor ${k}` : `${k} × max activation = ${short(v)}`}
            className={cx(
              'rounded border px-1.5 py-0.5 text-[11px] tabular-nums',
              roundValue(v) === f.value.trim()
                ? 'border-violet-500 bg-violet-50 text-violet-700 dark:bg-violet-500/15 dark:text-violet-300'
                : 'border-zinc-300 text-zinc-600 hover:bg-zinc-50 dark:border-zinc-700 dark:text-zinc-400 dark:hover:bg-zinc-800',
            )}
          >
            ×{k}
            {f.mode === 'scale' ? '' : ' max'}
          </button>
        );
      })}
    </div>
  );
}

/** Which positions are steered: a named set, or a token range (then its from and to fields). */
export function PositionsField({ f, promptLength }: { f: DraftFeature; promptLength: number | null }) {
  const posKind = typeof f.positions === 'string' ? f.positions : 'range';
  const range = typeof f.positions === 'object' ? f.positions : null;
  const setRange = (from: number, to: number): void => patch(f.key, { positions: { from, to } satisfies Positions });
  return (
    <div className="mt-2 flex flex-wrap items-center gap-2 text-xs">
      <label className="flex items-center gap-1.5">
        <span className="text-zinc-600 dark:text-zinc-400">positions</span>
        <select
          value={posKind}
          aria-label={`Positions for feature ${f.feature}`}
          onChange={(e) => {
            const v = e.target.value;
            if (v === 'all' || v === 'prompt' || v === 'generated' || v === 'user' || v === 'content') patch(f.key, { positions: v });
            else setRange(0, Math.max(1, promptLength ?? 1));
          }}
          className={inputClass}
        >
          <option value="all">all tokens</option>
          <option value="prompt">prompt only</option>
          <option value="generated">generated only</option>
          <option value="user">user text only (no template tokens)</option>
          <option value="content">message text + generated (no template tokens)</option>
          <option value="range">a token range</option>
        </select>
      </label>
      {range && (
        <>
          <label className="flex items-center gap-1">
            from
            <input
              type="number"
              min={0}
              value={range.from}
              onChange={(e) => setRange(Math.max(0, Math.floor(Number(e.target.value) || 0)), range.to)}
              aria-label={`First position for feature ${f.feature}`}
              className={cx(inputClass, 'w-16')}
            />
          </label>
          <label className="flex items-center gap-1">
            to (excl.)
            <input
              type="number"
              min={1}
              value={range.to}
              onChange={(e) => setRange(range.from, Math.max(1, Math.floor(Number(e.target.value) || 1)))}
              aria-label={`End position for feature ${f.feature}`}
              className={cx(inputClass, 'w-16')}
            />
          </label>
          {range.to <= range.from && <span className="text-rose-600 dark:text-rose-400">“to” must be above “from”</span>}
          <span className="text-zinc-500">positions count from 0 (the prompt’s tokens are numbered above)</span>
        </>
      )}
    </div>
  );
}
