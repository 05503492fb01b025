import type { HostKind } from '../../shared/contract.ts';
import type { DataDirChoice } from './data-dir.ts';
import type { EventBus } from './events.ts';
import type { FileAccess } from './file-access.ts';
import type { JobRegistry } from './jobs.ts';
import type { Workspace } from '../workspace/workspace.ts';

/** Shows the host's native dialog for a folder or a file; resolves with the picked path, or null when cancelled. */
export type PickPath = (kind: 'folder' | 'file') => Promise<string | null>;

/**
 * What every core feature module's handlers are built from: one instance per host
 * process. Feature modules that need long-lived state (ONNX sessions, open indexes) add
 * it here, created in createCore.
 */
export interface CoreServices {
  /** Who hosts this core (shown in app.status; handlers must not behave differently by it). */
  readonly host: HostKind;
  /** The data folder and why it was chosen. */
  readonly data: DataDirChoice;
  /** Events to every connected client. */
  readonly bus: EventBus;
  /** Long work with progress and cancel. */
  readonly jobs: JobRegistry;
  /** Which paths requests may name: every handler checks the paths of its payload here. */
  readonly files: FileAccess;
  /** The host's native file dialog, where it has one (the desktop app). */
  readonly pickPath?: PickPath;
  /** The model, SAE and corpus the app works on, and the engine loaded for them. */
  readonly workspace: Workspace;
  /**
   * Registers cleanup to run when core closes (after jobs are cancelled, before the
   * engine is released), e.g. closing a feature module's SQLite database. Last in, first out.
   */
  readonly onClose: (fn: () => void | Promise<void>) => void;
}
