import type { HostKind } from '../../shared/contract.ts';
import type { DataDirChoice } from './data-dir.ts';
import type { EventBus } from './events.ts';
import type { JobRegistry } from './jobs.ts';
import type { Workspace } from '../workspace/workspace.ts';

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
  /** The model, SAE and corpus the app works on, and the engine loaded for them. */
  readonly workspace: Workspace;
  /**
   * Registers cleanup to run when core closes (after jobs are cancelled, before the
   * engine is released), e.g. closing a feature module's SQLite database. Last in, first out.
   */
  readonly onClose: (fn: () => void | Promise<void>) => void;
}
