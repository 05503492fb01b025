import type { Payload } from '#shared/contract.ts';
import type { WorkspaceInfo } from '#shared/workspace-types.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { Workspace, type IndexAccess } from './workspace.ts';

/**
 * The workspace of one core: the Workspace (selection, long-lived engine, its index job) with
 * what requests add on top, each path checked against the allowed roots.
 */
export class WorkspaceService extends Workspace {
  readonly #files: Kernel['files'];

  constructor(core: Omit<Kernel, 'onClose'>, index: IndexAccess) {
    super(core, index);
    this.#files = core.files;
  }

  /** Opens a selection a request names (`workspace.open`). */
  async openChecked(sel: Payload<'workspace.open'>): Promise<WorkspaceInfo> {
    const files = this.#files;
    const model = files.resolveRead(sel.model, 'model');
    const sae = files.resolveRead(sel.sae, 'SAE');
    const corpus = sel.corpus === undefined ? undefined : files.resolveRead(sel.corpus, 'corpus');
    return this.open({ ...sel, model, sae, ...(corpus === undefined ? {} : { corpus }) });
  }
}
