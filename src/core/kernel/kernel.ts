import type { HostKind } from '#shared/contract.ts';
import type { DataDirChoice } from './data-dir.ts';
import type { EventBus } from './events.ts';
import type { FileAccess } from './file-access.ts';
import type { JobRegistry } from './jobs.ts';

/** Shows the host's native dialog for a folder or a file; resolves with the picked path, or null when cancelled. */
export type PickPath = (kind: 'folder' | 'file') => Promise<string | null>;

/**
 * What every feature service is built on: one instance per host process, made by createCore
 * (src/core/host/core.ts). Nothing here knows any feature.
 */
export interface Kernel {
  /** Who hosts this core (shown in app.status; services must not behave differently by it). */
  readonly host: HostKind;
  /** The data folder and why it was chosen. */
  readonly data: DataDirChoice;
  /** Events to every connected client. */
  readonly bus: EventBus;
  /** Long work with progress and cancel. */
  readonly jobs: JobRegistry;
  /** Which paths requests may name: every service checks the paths it is given here. */
  readonly files: FileAccess;
  /** The host's native file dialog, where it has one (the desktop app). */
  readonly pickPath?: PickPath;
  /**
   * Registers cleanup to run when core closes (after jobs are cancelled, before the
   * engine is released), e.g. closing a feature's SQLite database. Last in, first out.
   */
  readonly onClose: (fn: () => void | Promise<void>) => void;
}
