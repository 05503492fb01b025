import { useState, type ReactNode } from 'react';
import { defaultGenerationSettings, type GenerationSettings } from '#shared/steer-types.ts';
import { Checkbox } from '../../components/Checkbox.tsx';
import { cx } from '../../components/ui.tsx';
import { updateDraft } from './draft.ts';
import { visibleToken } from './format.ts';

const inputClass =
  'w-20 rounded-md border border-zinc-300 bg-white px-2 py-1 text-xs tabular-nums text-zinc-900 focus-visible:outline-2 focus-visible:outline-violet-500 disabled:opacity-50 dark:border-zinc-700 dark:bg-zinc-950 dark:text-zinc-100';

const set = (change: Partial<GenerationSettings>): void => updateDraft((d) => ({ ...d, settings: { ...d.settings, ...change } }));

/** A number field that keeps what is typed and passes on only valid numbers within [min, max]. */
function NumberField({
  label,
  value,
  onChange,
  min,
  max,
  step,
  integer,
  disabled,
  hint,
}: {
  label: string;
  value: number;
  onChange: (v: number) => void;
  min: number;
  max: number;
  step: number;
  integer?: boolean;
  disabled?: boolean;
  hint?: string;
}) {
  const [text, setText] = useState<string | null>(null);
  const shown = text ?? String(value);
  const n = Number(shown);
  const bad = shown.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer === true && !Number.isInteger(n));
  return (
    <label className="flex flex-col gap-1 text-xs" title={hint}>
      <span className="text-zinc-600 dark:text-zinc-400">{label}</span>
      <input
        type="number"
        value={shown}
        min={min}
        max={max}
        step={step}
        disabled={disabled}
        aria-invalid={bad}
        onChange={(e) => {
          setText(e.target.value);
          const v = Number(e.target.value);
          if (e.target.value.trim() !== '' && Number.isFinite(v) && v >= min && v <= max && (!integer || Number.isInteger(v))) onChange(v);
        }}
        onBlur={() => setText(null)}
        className={cx(inputClass, bad && 'border-rose-500 dark:border-rose-500')}
      />
    </label>
  );
}

function Group({ children }: { children: ReactNode }) {
  return <div className="flex flex-wrap items-end gap-3">{children}</div>;
}

/** Greedy or sampling: two radio buttons. */
function Decoding({ greedy }: { greedy: boolean }) {
  return (
    <fieldset className="flex flex-col gap-1 text-xs">
      <legend className="mb-1 text-zinc-600 dark:text-zinc-400">Decoding</legend>
      <div className="flex items-center gap-3 py-1">
        <label className="flex items-center gap-1">
          <input
            type="radio"
            name="decoding"
            checked={greedy}
            onChange={() => set({ greedy: true })}
            className="accent-violet-600"
          />
          greedy
        </label>
        <label className="flex items-center gap-1">
          <input
            type="radio"
            name="decoding"
            checked={!greedy}
            onChange={() => set({ greedy: false })}
            className="accent-violet-600"
          />
          sample
        </label>
      </div>
    </fieldset>
  );
}

/** Stop sequences (typed, Enter adds; a typed \\n is a line break), stop at end of text, and a reset of every setting. */
function StopRow({ settings }: { settings: GenerationSettings }) {
  const [stop, setStop] = useState('');
  const addStop = (): void => {
    // "\n" typed as two characters means a line break
    const s = stop.replace(/\\n/g, '\n').replace(/\\t/g, '\t');
    if (!s || settings.stopSequences.includes(s)) return;
    set({ stopSequences: [...settings.stopSequences, s].slice(0, 16) });
    setStop('');
  };
  return (
    <div className="flex flex-wrap items-center gap-2 text-xs">
      <span className="text-zinc-600 dark:text-zinc-400">Stop at</span>
      {settings.stopSequences.map((s) => (
        <span key={s} className="inline-flex items-center gap-1 rounded-full bg-zinc-100 px-2 py-0.5 font-mono dark:bg-zinc-800">
          {visibleToken(s)}
          <button
            type="button"
            aria-label={`Remove stop sequence ${visibleToken(s)}`}
            onClick={() => set({ stopSequences: settings.stopSequences.filter((x) => x !== s) })}
            className="text-zinc-400 hover:text-zinc-700 dark:hover:text-zinc-200"
          >
            ×
          </button>
        </span>
      ))}
      <input
        value={stop}
        onChange={(e) => setStop(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            addStop();
          }
        }}
        aria-label="Add a stop sequence"
        placeholder='text, e.g. "." or \n, then Enter'
        className={cx(inputClass, 'w-44 font-mono')}
      />
      <Checkbox checked={settings.stopAtEos} onChange={(stopAtEos) => set({ stopAtEos })} className="ml-2 gap-1">
        end of text
      </Checkbox>
      <button
        type="button"
        onClick={() => set({ ...defaultGenerationSettings, stopSequences: [] })}
        className="ml-auto text-zinc-500 underline-offset-2 hover:underline"
      >
        reset to defaults
      </button>
    </div>
  );
}

/** Max new tokens, greedy or sampling (temperature, top-k, top-p, seed), stop sequences, stop at end of text. */
export function GenerationForm({ settings, maxTokens }: { settings: GenerationSettings; maxTokens: number | null }) {
  return (
    <div className="space-y-3" aria-label="Generation settings" role="group">
      <Group>
        <NumberField
          label="Max new tokens"
          value={settings.maxNewTokens}
          onChange={(v) => set({ maxNewTokens: v })}
          min={1}
          max={Math.min(1024, maxTokens ?? 1024)}
          step={1}
          integer
        />
        <Decoding greedy={settings.greedy} />
        <NumberField
          label="Temperature"
          value={settings.temperature}
          onChange={(v) => set({ temperature: v })}
          min={0.01}
          max={5}
          step={0.1}
          disabled={settings.greedy}
        />
        <NumberField
          label="Top-k (0 = off)"
          value={settings.topK}
          onChange={(v) => set({ topK: v })}
          min={0}
          max={1_000_000}
          step={1}
          integer
          disabled={settings.greedy}
        />
        <NumberField
          label="Top-p"
          value={settings.topP}
          onChange={(v) => set({ topP: v })}
          min={0.01}
          max={1}
          step={0.05}
          disabled={settings.greedy}
        />
        <NumberField
          label="Seed"
          value={settings.seed}
          onChange={(v) => set({ seed: v })}
          min={0}
          max={2_147_483_647}
          step={1}
          integer
          disabled={settings.greedy}
          hint="Both sides use the same seed, so they differ only by the steering."
        />
      </Group>
      <StopRow settings={settings} />
    </div>
  );
}
