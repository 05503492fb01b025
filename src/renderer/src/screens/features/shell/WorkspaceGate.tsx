import type { ReactNode } from 'react';
import { href } from '../../../routes.ts';
import { ErrorNote } from '../../../components/ui.tsx';
import { indexProblem } from '../../../components/index-problem.ts';
import { IndexProblemNote } from '../../../components/IndexProblemNote.tsx';
import { linkClass, Loading, Notice } from '../common/explorer-ui.tsx';
import { formatCount } from '../common/format.ts';
import { indexedWorkspace, type ExplorerWorkspace, type IndexedWorkspace } from './use-explorer-workspace.ts';

/** What a gate shows before any model is open; `then` ends its sentence. */
function NoModel({ then }: { then: string }) {
  return (
    <Notice title="No model loaded" testId="explorer-empty">
      Open a model and an SAE on the{' '}
      <a className={linkClass} href={href('models')}>
        Models
      </a>{' '}
      screen{then}
    </Notice>
  );
}

/**
 * Shows `children` once the workspace has a complete index; until then says where things
 * stand and what to do (no model yet, indexing with its progress, an error).
 */
export function IndexGate({ ws, children }: { ws: ExplorerWorkspace; children: (w: IndexedWorkspace) => ReactNode }) {
  if (ws.status === 'loading') return <Loading what="the workspace" />;
  if (ws.status === 'error') return <ErrorNote title="Could not read the workspace" message={ws.error.message} onRetry={ws.reload} />;
  const { info, progress } = ws;
  const ready = indexedWorkspace(info);
  if (ready) return <>{children(ready)}</>;
  if (!info.selection) return <NoModel then=", with a corpus to index." />;
  const problem = indexProblem(info);
  if (problem) return <IndexProblemNote problem={problem} />;
  if (info.indexJob || info.index) {
    const fraction = progress?.total ? Math.min(1, progress.done / progress.total) : null;
    return (
      <Notice title={`Indexing… ${fraction === null ? '' : `${Math.floor(fraction * 100)}%`}`} testId="explorer-indexing">
        <p>
          The corpus is being indexed; features can be explored when it is done.
          {progress &&
            ` ${progress.phase}: ${formatCount(progress.done)}${progress.total !== null ? ` / ${formatCount(progress.total)}` : ''}`}
          {progress?.eta != null && ` · about ${Math.ceil(progress.eta)} s left`}
        </p>
        <progress className="mt-2 h-1.5 w-full accent-violet-600" max={1} value={fraction ?? undefined} aria-label="indexing progress" />
        {info.error && <p className="mt-2 text-rose-600 dark:text-rose-400">{info.error}</p>}
      </Notice>
    );
  }
  return (
    <Notice title="No index yet" testId="explorer-empty">
      {info.error ? (
        <p className="text-rose-600 dark:text-rose-400">{info.error}</p>
      ) : (
        <p>
          This workspace has no indexed corpus. Choose a corpus on the{' '}
          <a className={linkClass} href={href('models')}>
            Models
          </a>{' '}
          screen to index it; the explorer opens when indexing is done.
        </p>
      )}
    </Notice>
  );
}

/** Shows `children` once the engine (model + SAE) is loaded; the prompt inspector needs no index. */
export function EngineGate({ ws, children }: { ws: ExplorerWorkspace; children: (db: string | null) => ReactNode }) {
  if (ws.status === 'loading') return <Loading what="the workspace" />;
  if (ws.status === 'error') return <ErrorNote title="Could not read the workspace" message={ws.error.message} onRetry={ws.reload} />;
  const { info } = ws;
  if (!info.selection) return <NoModel then=" to inspect prompts." />;
  if (!info.engine) {
    return info.error ? (
      <ErrorNote title="The model could not be loaded" message={info.error} onRetry={ws.reload} />
    ) : (
      <Loading what="the model and SAE" />
    );
  }
  return <>{children(indexedWorkspace(info)?.db ?? null)}</>;
}
