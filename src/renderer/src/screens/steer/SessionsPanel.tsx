import { useRef, useState } from 'react';
import type { SessionSummary, SteerSession } from '../../../../shared/steer-types.ts';
import { useApi } from '../../api/api-context.tsx';
import type { Loadable } from '../../api/api-context.tsx';
import { saveTextFile } from '../../components/save-file.ts';
import { Badge, cx } from '../../components/ui.tsx';
import { baseName, when } from './format.ts';

const stateTone = { running: 'accent', done: 'good', cancelled: 'muted', failed: 'bad', interrupted: 'bad' } as const;

const sym = { clamp: '=', add: '+', scale: '×' } as const;

/** A file name for an exported session: its name, made safe. */
function fileName(s: { name: string; id: string }): string {
  const base =
    s.name
      .replace(/[^\w\s.-]+/g, '')
      .trim()
      .replace(/\s+/g, '-')
      .slice(0, 60) || 'session';
  return `${base}-${s.id.slice(0, 8)}.steer.json`;
}

/**
 * Every saved session: open one (its outputs below the editor), fork it (edit and rerun),
 * rename, export as JSON, delete; import a JSON file.
 */
export function SessionsPanel({
  list,
  reload,
  current,
  onOpen,
  onFork,
  onDeleted,
}: {
  list: Loadable<SessionSummary[]>;
  reload: () => void;
  current: string | null;
  onOpen: (s: SteerSession) => void;
  onFork: (s: SteerSession) => void;
  onDeleted: (id: string) => void;
}) {
  const api = useApi();
  const [error, setError] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const file = useRef<HTMLInputElement>(null);

  const get = async (id: string): Promise<SteerSession | null> => {
    const r = await api.request('session.get', { id });
    if (!r.ok) setError(r.error.message);
    return r.ok ? r.value : null;
  };
  const act = async (fn: () => Promise<string | null>): Promise<void> => {
    setError(null);
    const err = await fn();
    if (err) setError(err);
    reload();
  };

  const rename = (id: string, name: string) =>
    act(async () => {
      setRenaming(null);
      const r = await api.request('session.rename', { id, name });
      return r.ok ? null : r.error.message;
    });
  const remove = (id: string) =>
    act(async () => {
      setConfirming(null);
      const r = await api.request('session.delete', { id });
      if (r.ok) onDeleted(id);
      return r.ok ? null : r.error.message;
    });
  const exportOne = (s: SessionSummary) =>
    act(async () => {
      const r = await api.request('session.export', { id: s.id });
      if (!r.ok) return r.error.message;
      saveTextFile(fileName(s), 'application/json', JSON.stringify(r.value, null, 2));
      return null;
    });
  const importFile = (f: File) =>
    act(async () => {
      const text = await f.text();
      const r = await api.request('session.import', { data: text });
      if (!r.ok) return `${f.name}: ${r.error.message}`;
      onOpen(r.value);
      return null;
    });

  const sessions = list.status === 'ready' ? list.value : [];
  return (
    <section
      aria-label="Sessions"
      className="sticky top-6 flex max-h-[calc(100vh-3rem)] min-h-0 flex-col rounded-xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900"
    >
      <header className="flex items-center justify-between gap-2 border-b border-zinc-200 px-4 py-2.5 dark:border-zinc-800">
        <h2 className="text-sm font-semibold">Sessions</h2>
        <button
          type="button"
          onClick={() => file.current?.click()}
          className="rounded-md border border-zinc-300 px-2 py-1 text-xs font-medium hover:bg-zinc-50 dark:border-zinc-700 dark:hover:bg-zinc-800"
        >
          Import…
        </button>
        <input
          ref={file}
          type="file"
          accept=".json,application/json"
          aria-label="Import a session file"
          className="hidden"
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) void importFile(f);
          }}
        />
      </header>
      {error && (
        <p
          role="alert"
          className="border-b border-rose-200 bg-rose-50 px-4 py-2 text-xs text-rose-800 dark:border-rose-900/60 dark:bg-rose-950/40 dark:text-rose-200"
        >
          {error}
        </p>
      )}
      {list.status === 'error' && (
        <p role="alert" className="px-4 py-3 text-xs text-rose-700 dark:text-rose-300">
          Could not read the sessions: {list.error.message}
        </p>
      )}
      {list.status === 'ready' && sessions.length === 0 && (
        <p className="px-4 py-3 text-xs text-zinc-500 dark:text-zinc-400">Every run is saved here. None yet.</p>
      )}
      <ul className="min-h-0 flex-1 divide-y divide-zinc-100 overflow-y-auto dark:divide-zinc-800" data-testid="session-list">
        {sessions.map((s) => (
          <li
            key={s.id}
            data-testid="session-row"
            data-session={s.id}
            className={cx('px-4 py-2.5', s.id === current && 'bg-violet-50 dark:bg-violet-500/10')}
          >
            {renaming?.id === s.id ? (
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  if (renaming.name.trim()) void rename(s.id, renaming.name.trim());
                }}
              >
                <input
                  autoFocus
                  value={renaming.name}
                  onChange={(e) => setRenaming({ id: s.id, name: e.target.value })}
                  onKeyDown={(e) => {
                    if (e.key === 'Escape') {
                      e.stopPropagation();
                      setRenaming(null);
                    }
                  }}
                  aria-label="New name"
                  className="w-full rounded border border-zinc-300 bg-white px-1.5 py-0.5 text-xs dark:border-zinc-700 dark:bg-zinc-950"
                />
              </form>
            ) : (
              <button
                type="button"
                onClick={() => void get(s.id).then((x) => x && onOpen(x))}
                className="block w-full text-left text-xs font-medium break-words text-zinc-900 hover:text-violet-700 dark:text-zinc-100 dark:hover:text-violet-300"
                title="Open this session"
              >
                {s.name}
              </button>
            )}
            <p className="mt-0.5 flex flex-wrap items-center gap-1.5 text-[11px] text-zinc-500 dark:text-zinc-400">
              <span>{when(s.createdAt)}</span>
              <Badge tone={stateTone[s.state]}>{s.state}</Badge>
              <span className="truncate" title={`${s.identity.model} · ${s.identity.sae} · ${s.identity.hook}`}>
                {s.identity.demo ? 'embedded demo' : baseName(s.identity.model)}
              </span>
              {s.chat && <span className="rounded bg-sky-50 px-1 text-sky-700 dark:bg-sky-500/10 dark:text-sky-300">chat</span>}
              {s.sweep && (
                <span
                  className="rounded bg-violet-50 px-1 text-violet-700 dark:bg-violet-500/10 dark:text-violet-300"
                  title={`factors ${s.sweep.join(', ')}`}
                >
                  sweep ×{s.sweep.length}
                </span>
              )}
              {s.samples > 1 && (
                <span className="rounded bg-violet-50 px-1 text-violet-700 dark:bg-violet-500/10 dark:text-violet-300">
                  {s.samples} samples
                </span>
              )}
            </p>
            {s.interventions.length > 0 && (
              <p className="mt-0.5 truncate font-mono text-[11px] text-zinc-500 dark:text-zinc-400">
                {s.interventions.map((iv) => `${iv.mode} ${iv.feature}${sym[iv.mode]}${iv.value}`).join(', ')}
              </p>
            )}
            <div className="mt-1 flex flex-wrap gap-x-2.5 text-[11px]">
              {confirming === s.id ? (
                <>
                  <span className="text-rose-700 dark:text-rose-300">Delete for good?</span>
                  <button
                    type="button"
                    className="font-medium text-rose-700 hover:underline dark:text-rose-300"
                    onClick={() => void remove(s.id)}
                  >
                    Yes, delete
                  </button>
                  <button type="button" className="text-zinc-600 hover:underline dark:text-zinc-400" onClick={() => setConfirming(null)}>
                    Keep
                  </button>
                </>
              ) : (
                (
                  [
                    ['Fork', () => void get(s.id).then((x) => x && onFork(x))],
                    ['Rename', () => setRenaming({ id: s.id, name: s.name })],
                    ['Export', () => void exportOne(s)],
                    ['Delete', () => setConfirming(s.id)],
                  ] as const
                ).map(([label, fn]) => (
                  <button
                    key={label}
                    type="button"
                    onClick={fn}
                    aria-label={`${label} session ${s.name}`}
                    className="text-violet-700 underline-offset-2 hover:underline dark:text-violet-300"
                  >
                    {label}
                  </button>
                ))
              )}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
