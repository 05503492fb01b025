import type { SessionSummary, SteerSession } from '#shared/steer-types.ts';
import { Badge, cx } from '../../components/ui.tsx';
import { baseName, when } from './format.ts';
import type { SessionActions } from './use-session-actions.ts';

const stateTone = { running: 'accent', done: 'good', cancelled: 'muted', failed: 'bad', interrupted: 'bad' } as const;

const sym = { clamp: '=', add: '+', scale: '×' } as const;

/** The session's name: a button that opens it, or the rename field while it is being renamed. */
function SessionTitle({ s, actions, onOpen }: { s: SessionSummary; actions: SessionActions; onOpen: (s: SteerSession) => void }) {
  const { renaming, setRenaming, rename, get } = actions;
  if (renaming?.id !== s.id) {
    return (
      <button
        type="button"
        onClick={() => void get(s.id).then((x) => x && onOpen(x))}
        className="block w-full text-left text-xs font-medium break-words text-zinc-900 hover:text-violet-700 dark:text-zinc-100 dark:hover:text-violet-300"
        title="Open this session"
      >
        {s.name}
      </button>
    );
  }
  return (
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
  );
}

/** When, state, model and kind of run; then the interventions in short. */
function SessionFacts({ s }: { s: SessionSummary }) {
  return (
    <>
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
          <span className="rounded bg-violet-50 px-1 text-violet-700 dark:bg-violet-500/10 dark:text-violet-300">{s.samples} samples</span>
        )}
      </p>
      {s.interventions.length > 0 && (
        <p className="mt-0.5 truncate font-mono text-[11px] text-zinc-500 dark:text-zinc-400">
          {s.interventions.map((iv) => `${iv.mode} ${iv.feature}${sym[iv.mode]}${iv.value}`).join(', ')}
        </p>
      )}
    </>
  );
}

/** Fork, rename, export, delete; delete asks first, in place of the links. */
function SessionButtons({ s, actions, onFork }: { s: SessionSummary; actions: SessionActions; onFork: (s: SteerSession) => void }) {
  const { confirming, setConfirming, setRenaming, remove, exportOne, get } = actions;
  if (confirming === s.id) {
    return (
      <>
        <span className="text-rose-700 dark:text-rose-300">Delete for good?</span>
        <button type="button" className="font-medium text-rose-700 hover:underline dark:text-rose-300" onClick={() => void remove(s.id)}>
          Yes, delete
        </button>
        <button type="button" className="text-zinc-600 hover:underline dark:text-zinc-400" onClick={() => setConfirming(null)}>
          Keep
        </button>
      </>
    );
  }
  const buttons = [
    ['Fork', () => void get(s.id).then((x) => x && onFork(x))],
    ['Rename', () => setRenaming({ id: s.id, name: s.name })],
    ['Export', () => void exportOne(s)],
    ['Delete', () => setConfirming(s.id)],
  ] as const;
  return buttons.map(([label, fn]) => (
    <button
      key={label}
      type="button"
      onClick={fn}
      aria-label={`${label} session ${s.name}`}
      className="text-violet-700 underline-offset-2 hover:underline dark:text-violet-300"
    >
      {label}
    </button>
  ));
}

/** One saved session in the list. */
export function SessionRow({
  s,
  current,
  actions,
  onOpen,
  onFork,
}: {
  s: SessionSummary;
  current: boolean;
  actions: SessionActions;
  onOpen: (s: SteerSession) => void;
  onFork: (s: SteerSession) => void;
}) {
  return (
    <li data-testid="session-row" data-session={s.id} className={cx('px-4 py-2.5', current && 'bg-violet-50 dark:bg-violet-500/10')}>
      <SessionTitle s={s} actions={actions} onOpen={onOpen} />
      <SessionFacts s={s} />
      <div className="mt-1 flex flex-wrap gap-x-2.5 text-[11px]">
        <SessionButtons s={s} actions={actions} onFork={onFork} />
      </div>
    </li>
  );
}
