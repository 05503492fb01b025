import type { ContractHandlers } from '#shared/contract.ts';
import type { WorkspaceService } from './service.ts';

/** Requests about what the app works on, and the engine's answers for it. */
export type WorkspaceHandlers = Pick<ContractHandlers, 'workspace.get' | 'workspace.open'>;

/** Handlers of the workspace requests: all go through the one long-lived WorkspaceService of this core. */
export function workspaceHandlers(ws: WorkspaceService): WorkspaceHandlers {
  return {
    'workspace.get': () => ws.info(),
    'workspace.open': (sel) => ws.openChecked(sel),
  };
}
