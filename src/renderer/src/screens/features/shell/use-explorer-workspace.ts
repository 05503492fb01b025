import { useState } from 'react';
import type { JobProgress, WorkspaceInfo } from '#shared/contract.ts';
import type { ReplyError } from '#shared/reply.ts';
import { useEvent, useRequest } from '../../../api/api-context.tsx';

/** What the explorer can do with the workspace right now. */
export type ExplorerWorkspace =
  | { readonly status: 'loading' }
  | { readonly status: 'error'; readonly error: ReplyError; readonly reload: () => void }
  | { readonly status: 'ready'; readonly info: WorkspaceInfo; readonly progress: JobProgress | null; readonly reload: () => void };

/**
 * The workspace (model, SAE, index) kept fresh: refetched when the engine finishes
 * loading or a job changes state, with the index job's live progress.
 */
export function useExplorerWorkspace(): ExplorerWorkspace {
  const { state, reload } = useRequest('workspace.get');
  const [progress, setProgress] = useState<JobProgress | null>(null);
  const [last, setLast] = useState<WorkspaceInfo | null>(null);
  const info = state.status === 'ready' ? state.value : last;
  if (state.status === 'ready' && state.value !== last) setLast(state.value);

  useEvent('job.progress', (p) => {
    if (info?.indexJob && p.job === info.indexJob) setProgress(p);
  });
  useEvent('job.state', reload);
  useEvent('workspace.changed', reload);

  // While a reload is in flight keep showing what we had, so the page does not flash.
  if (info) return { status: 'ready', info, progress, reload };
  if (state.status === 'error') return { status: 'error', error: state.error, reload };
  return { status: 'loading' };
}

/** The parts of a workspace the index-backed views need, once its index is complete. */
export interface IndexedWorkspace {
  readonly db: string;
  readonly dSae: number;
  readonly info: WorkspaceInfo;
}

/** The workspace's complete index, or null while there is none. */
export function indexedWorkspace(info: WorkspaceInfo): IndexedWorkspace | null {
  if (!info.db || !info.index || info.index.state !== 'complete') return null;
  return { db: info.db, dSae: info.index.dSae, info };
}
