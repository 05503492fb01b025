import { useState, type FormEvent } from 'react';
import type { FeatureRow } from '../../../../shared/explorer-types.ts';
import type { Positions, SteerModeName } from '../../../../shared/steer-types.ts';
import type { WorkspaceInfo } from '../../../../shared/workspace-types.ts';
import { useApi } from '../../api/api-context.tsx';
import { FeatureLabel } from '../../components/FeatureLabel.tsx';
import { Button, cx } from '../../components/ui.tsx';
import { href } from '../../routes.ts';
import { newDraftFeature, roundValue, updateDraft, type DraftFeature } from './draft.ts';
import { short, visibleToken } from './format.ts';

const inputClass =
  'rounded-md border border-zinc-300 bg-white px-2 py-1 text-xs text-zinc-900 focus-visible:outline-2 focus-visible:outline-violet-500 dark:border-zinc-700 dark:bg-zinc-950 dark:text-zinc-100';

const modeHelp: Record<SteerModeName, string> = {
  clamp: 'set the latent to the value',
  add: 'add value × the decoder direction',
  scale: 'multiply the latent by the value',
};

/** Adds a feature by id (checked against the SAE, with its index figures) and returns whether it worked. */
export function useAddFeature(): { add: (id: number) => Promise<string | null> } {
  const api = useApi();
  return {
    add: async (id) => {
      const reply = await api.request('steer.feature', { id });
      if (!reply.ok) return reply.error.message;
      updateDraft((d) => ({ ...d, features: [...d.features, newDraftFeature(id, reply.value)] }));
      return null;
    },
  };
}

/** The features to steer: add by id or search, then per feature its mode, value and positions. */
export function Interventions({
  features,
  workspace,
  promptLength,
}: {
  features: readonly DraftFeature[];
  workspace: WorkspaceInfo | null;
  promptLength: number | null;
}) {
  return (
    <div>
      <AddFeature workspace={workspace} />
      {features.length === 0 ? (
        <p className="mt-3 text-sm text-zinc-500 dark:text-zinc-400">
          No features yet: without any, both sides are the same. Add one by id (e.g. 444 on the demo), by search, or from a feature’s page.
        </p>
      ) : (
        <ul className="mt-3 space-y-3" aria-label="Features to steer">
          {features.map((f) => (
            <FeatureEditor key={f.key} f={f} promptLength={promptLength} />
          ))}
        </ul>
      )}
    </div>
  );
}

function AddFeature({ workspace }: { workspace: WorkspaceInfo | null }) {
  const api = useApi();
  const { add } = useAddFeature();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [results, setResults] = useState<readonly FeatureRow[] | null>(null);
  const [kind, setKind] = useState<'token' | 'text'>('token');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const q = text.trim();
    if (!q) return;
    setBusy(true);
    setError(null);
    setResults(null);
    if (/^\d+$/.test(q)) {
      const err = await add(Number(q));
      if (err) setError(err);
      else setText('');
    } else if (!workspace?.db || workspace.index?.state !== 'complete') {
      setError(
        workspace?.db
          ? 'Search needs the index, which is still being built (see Models). Until then, add features by id.'
          : 'Search needs an index of a corpus for this model and SAE (no index yet: open a corpus in Models). Until then, add features by id.',
      );
    } else {
      const reply = await api.request('feature.search', { db: workspace.db, query: { kind, text: q }, limit: 8 });
      if (reply.ok) setResults(reply.value.rows);
      else setError(reply.error.message);
    }
    setBusy(false);
  };

  return (
    <div>
      <form className="flex flex-wrap items-center gap-2" onSubmit={(e) => void submit(e)} aria-label="Add a feature">
        <input
          value={text}
          onChange={(e) => setText(e.target.value)}
          aria-label="Feature id or search"
          placeholder="feature id (e.g. 444), or words to search"
          className={cx(inputClass, 'w-64 py-1.5')}
        />
        <select
          value={kind}
          onChange={(e) => setKind(e.target.value === 'text' ? 'text' : 'token')}
          aria-label="Search in"
          className={inputClass}
        >
          <option value="token">search top tokens</option>
          <option value="text">search labels and notes</option>
        </select>
        <Button type="submit" disabled={busy || !text.trim()}>
          {/^\d+$/.test(text.trim()) ? 'Add' : 'Search'}
        </Button>
        <a href={href('features')} className="text-xs text-violet-700 underline-offset-2 hover:underline dark:text-violet-300">
          browse features
        </a>
      </form>
      {error && (
        <p role="alert" className="mt-2 text-sm text-rose-600 dark:text-rose-400">
          {error}
        </p>
      )}
      {results && (
        <div className="mt-2 rounded-md border border-zinc-200 dark:border-zinc-800" aria-label="Search results">
          {results.length === 0 ? (
            <p className="px-3 py-2 text-xs text-zinc-500">No feature matches “{text.trim()}”.</p>
          ) : (
            <ul className="divide-y divide-zinc-100 dark:divide-zinc-800">
              {results.map((r) => (
                <li key={r.id} className="flex items-center gap-3 px-3 py-1.5 text-xs">
                  <span className="w-12 font-mono">#{r.id}</span>
                  <span className="min-w-0 flex-1 truncate">{r.label ?? <span className="text-zinc-400">unlabelled</span>}</span>
                  <span className="text-zinc-500 tabular-nums">max {short(r.max)}</span>
                  <Button
                    label={`Add feature ${r.id}`}
                    onClick={() =>
                      void add(r.id).then((err) => {
                        if (err) setError(err);
                        else setResults(null);
                      })
                    }
                  >
                    Add
                  </Button>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}

const patch = (key: string, change: Partial<DraftFeature>): void =>
  updateDraft((d) => ({ ...d, features: d.features.map((f) => (f.key === key ? { ...f, ...change } : f)) }));

function FeatureEditor({ f, promptLength }: { f: DraftFeature; promptLength: number | null }) {
  const info = f.info;
  const max = info?.max ?? null;
  const value = Number(f.value);
  const bad = f.value.trim() === '' || !Number.isFinite(value);
  const presets = f.mode === 'scale' ? [0, 0.5, 2, 5, 10] : max !== null ? [0, 0.5, 1, 2, 5, 10] : [];
  const posKind = typeof f.positions === 'string' ? f.positions : 'range';
  const range = typeof f.positions === 'object' ? f.positions : null;
  const setRange = (from: number, to: number): void => patch(f.key, { positions: { from, to } satisfies Positions });

  return (
    <li className="rounded-lg border border-zinc-200 p-3 dark:border-zinc-800" data-testid="steer-feature" data-feature={f.feature}>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <a
          href={href('features', [f.feature])}
          className="font-mono text-sm font-semibold text-violet-700 hover:underline dark:text-violet-300"
        >
          #{f.feature}
        </a>
        <FeatureLabel feature={f.feature} className="min-w-0 truncate text-sm font-medium text-zinc-900 dark:text-zinc-100" />
        {info && info.topTokens.length > 0 && (
          <span className="truncate font-mono text-xs text-zinc-500 dark:text-zinc-400">
            {info.topTokens.map((t) => `“${visibleToken(t)}”`).join(' ')}
          </span>
        )}
        <span className="ml-auto text-xs text-zinc-600 dark:text-zinc-400" data-testid="feature-max">
          {max !== null
            ? `max activation ${short(max)}`
            : !info
              ? 'max activation: …'
              : info.index === 'building'
                ? 'max activation: the index is still being built'
                : 'no index: max activation unknown'}
        </span>
        <button
          type="button"
          onClick={() => updateDraft((d) => ({ ...d, features: d.features.filter((x) => x.key !== f.key) }))}
          aria-label={`Remove feature ${f.feature}`}
          className="rounded px-1.5 text-zinc-400 hover:bg-zinc-100 hover:text-zinc-700 dark:hover:bg-zinc-800 dark:hover:text-zinc-200"
        >
          ×
        </button>
      </div>
      {f.problem && (
        <p role="alert" className="mt-1 text-xs text-rose-600 dark:text-rose-400">
          {f.problem}. Remove it, or open the SAE it was chosen for in Models.
        </p>
      )}
      <div className="mt-2 flex flex-wrap items-center gap-x-4 gap-y-2">
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
        {presets.length > 0 && (
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
        )}
      </div>
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
    </li>
  );
}
