import type { SteerSession } from '#shared/steer-types.ts';
import type { WorkspaceInfo } from '#shared/workspace-types.ts';
import { baseName, when } from './format.ts';

/** The shown session: its name and time, and a warning when it ran on another model than the open one. */
export function SessionHeader({ session, workspace }: { session: SteerSession; workspace: WorkspaceInfo | null }) {
  const sel = workspace?.selection;
  const other =
    sel &&
    workspace.engine &&
    (session.identity.model !== sel.model || session.identity.sae !== sel.sae || session.identity.hook !== workspace.engine.hook);
  return (
    <div className="mt-6 border-t border-zinc-200 pt-4 dark:border-zinc-800" data-testid="steer-session">
      <h2 className="text-base font-semibold break-words" data-testid="steer-session-name">
        {session.name}
      </h2>
      <p className="mt-0.5 text-xs text-zinc-500 dark:text-zinc-400">
        {when(session.createdAt)} ·{' '}
        {session.identity.demo ? 'embedded demo' : `${baseName(session.identity.model)} / ${baseName(session.identity.sae)}`} at{' '}
        {session.identity.hook} ·{' '}
        {session.settings.greedy
          ? 'greedy'
          : `T ${session.settings.temperature}, top-k ${session.settings.topK || 'off'}, top-p ${session.settings.topP}, seed ${session.settings.seed}`}
        {session.forkedFrom && ' · forked'}
      </p>
      {other && (
        <p className="mt-1 text-xs text-amber-700 dark:text-amber-300">
          This session ran on another model, SAE or hook than the one open now; running it again uses the open one.
        </p>
      )}
    </div>
  );
}
