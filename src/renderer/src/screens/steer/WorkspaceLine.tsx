import type { useRequest } from '../../api/api-context.tsx';
import { Badge } from '../../components/ui.tsx';
import { href } from '../../routes.ts';
import { baseName } from './format.ts';

/** The model, SAE and hook steering runs on, or what to do when there is none. */
export function WorkspaceLine({ state }: { state: ReturnType<typeof useRequest<'workspace.get'>>['state'] }) {
  if (state.status === 'loading') return null;
  if (state.status === 'error') {
    return (
      <p role="alert" className="mb-4 text-sm text-rose-600 dark:text-rose-400">
        Could not read the workspace: {state.error.message}
      </p>
    );
  }
  const w = state.value;
  if (!w.selection) {
    return (
      <p
        role="alert"
        className="mb-4 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-200"
      >
        No model is open, so nothing can run yet.{' '}
        <a href={href('models')} className="font-medium underline">
          Open a model and an SAE in Models
        </a>
        , then come back.
      </p>
    );
  }
  if (!w.engine) {
    return w.error ? (
      <p
        role="alert"
        className="mb-4 rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:border-rose-900/60 dark:bg-rose-950/40 dark:text-rose-200"
      >
        The model could not be loaded: {w.error}{' '}
        <a href={href('models')} className="font-medium underline">
          Choose another in Models
        </a>
      </p>
    ) : (
      <p role="status" className="mb-4 text-sm text-zinc-500">
        Loading {baseName(w.selection.model)}… a run started now waits for it.
      </p>
    );
  }
  return (
    <p className="mb-4 flex flex-wrap items-center gap-x-2 text-xs text-zinc-600 dark:text-zinc-400" data-testid="steer-workspace">
      {w.selection.demo && <Badge tone="accent">embedded demo</Badge>}
      <span className="font-mono">{baseName(w.selection.model)}</span>·<span className="font-mono">{baseName(w.selection.sae)}</span>·
      <span className="font-mono">{w.engine.hook}</span>·<span>{w.engine.dSae.toLocaleString()} features</span>·
      <span>{w.engine.provider}</span>
    </p>
  );
}
