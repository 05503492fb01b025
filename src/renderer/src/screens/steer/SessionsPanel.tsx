import { useRef } from 'react';
import type { SessionSummary, SteerSession } from '#shared/steer-types.ts';
import type { Loadable } from '../../api/api-context.tsx';
import { SessionRow } from './SessionRow.tsx';
import { useSessionActions } from './use-session-actions.ts';

/** The panel's title bar, with Import… opening a hidden file picker. */
function SessionsHeader({ importFile }: { importFile: (f: File) => Promise<void> }) {
  const file = useRef<HTMLInputElement>(null);
  return (
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
  );
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
  const actions = useSessionActions({ reload, onOpen, onDeleted });
  const sessions = list.status === 'ready' ? list.value : [];
  return (
    <section
      aria-label="Sessions"
      className="sticky top-6 flex max-h-[calc(100vh-3rem)] min-h-0 flex-col rounded-xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900"
    >
      <SessionsHeader importFile={actions.importFile} />
      {actions.error && (
        <p
          role="alert"
          className="border-b border-rose-200 bg-rose-50 px-4 py-2 text-xs text-rose-800 dark:border-rose-900/60 dark:bg-rose-950/40 dark:text-rose-200"
        >
          {actions.error}
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
          <SessionRow key={s.id} s={s} current={s.id === current} actions={actions} onOpen={onOpen} onFork={onFork} />
        ))}
      </ul>
    </section>
  );
}
