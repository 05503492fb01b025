import fs from 'node:fs';
import path from 'node:path';
import type { HostKind, PayloadInput, RequestName, ResultOf } from '../../shared/contract.ts';
import type { Reply } from '../../shared/reply.ts';
import { createHandlers, type Handlers } from '../handlers.ts';
import { resolveDataDir, type DataDirInputs } from './data-dir.ts';
import { dispatch } from './dispatch.ts';
import { EventBus } from './events.ts';
import { FileAccess } from './file-access.ts';
import { JobRegistry } from './jobs.ts';
import type { CoreServices, PickPath } from './services.ts';
import { hubCacheDir } from '../hub/env.ts';
import { findResources } from '../workspace/demo.ts';
import { seedDemoLabels } from '../workspace/demo-labels.ts';
import { readSettings } from '../workspace/settings.ts';
import { Workspace } from '../workspace/workspace.ts';
import type { IndexStartResult, IndexStatus } from '../../shared/index-types.ts';

/** One running core: its services, its handler map, and a dispatcher for transports. */
export interface Core extends CoreServices {
  readonly handlers: Handlers;
  /** Validates and runs one request by name (the transports' only way in). */
  dispatch(name: string, payload: unknown): Promise<Reply<unknown>>;
  /** The same, typed, for in-process callers (CLI commands, tests). */
  request<K extends RequestName>(name: K, payload?: PayloadInput<K>): Promise<Reply<ResultOf<K>>>;
  /**
   * Opens the remembered selection, or on first run the embedded demo, and indexes its
   * corpus in the background. The app and the serve host call it; one-shot CLI commands and
   * tests do not.
   */
  boot(): void;
  /** Cancels running jobs and releases resources. */
  close(): Promise<void>;
}

/** Options for createCore. */
export interface CoreOptions {
  readonly host: HostKind;
  /** How to pick the data folder (`--data`, env, host default). */
  readonly data?: DataDirInputs;
  /** The folder holding the embedded `demo/` (default: found beside the app). */
  readonly resourcesDir?: string;
  /**
   * Which paths requests may name (src/core/app/file-access.ts). `open`: any (default for
   * the CLI's own core, whose paths come from the user's command line); else only the data
   * folder, the HF cache, the demo and `grants` (e.g. `serve --allow-dir`).
   */
  readonly files?: { readonly open?: boolean; readonly grants?: readonly string[] };
  /** The host's native file dialog (the desktop app); what the user picks there is granted (`files.pick`). */
  readonly pickPath?: PickPath;
}

/** Creates core for one host process; the data folder is created if missing. */
export function createCore(options: CoreOptions): Core {
  const data = resolveDataDir(options.data);
  fs.mkdirSync(data.dir, { recursive: true });
  const resources = findResources(options.resourcesDir);
  const files = new FileAccess({
    dataDir: data.dir,
    hfCacheDir: () => hubCacheDir(process.env).dir,
    demoDir: resources && path.join(resources, 'demo'),
    open: options.files?.open ?? options.host === 'cli',
  });
  for (const dir of options.files?.grants ?? []) files.grant(dir);
  // what the app remembers was allowed when it was opened: it stays readable after a restart
  regrantSelection(files, data.dir);
  const bus = new EventBus();
  const jobs = new JobRegistry(bus);
  // the workspace reaches the index module through validated dispatch, like any client
  const call = async <T>(name: string, payload: unknown): Promise<T> => {
    const reply = await dispatch(handlers, name, payload);
    if (!reply.ok) throw new Error(reply.error.message);
    return reply.value as T;
  };
  const workspace = new Workspace({ host: options.host, data, bus, jobs, files }, {
    start: (p) => call<IndexStartResult>('index.start', p),
    status: (db) => call<IndexStatus>('index.status', { db }),
  });
  const closers: (() => void | Promise<void>)[] = [];
  const services: CoreServices = {
    host: options.host,
    data,
    bus,
    jobs,
    files,
    ...(options.pickPath ? { pickPath: options.pickPath } : {}),
    workspace,
    onClose: (fn) => void closers.push(fn),
  };
  const handlers = createHandlers(services);
  return {
    ...services,
    handlers,
    dispatch: (name, payload) => dispatch(handlers, name, payload),
    // dispatch answers request K with handlers[K]'s result, which is ResultOf<K>.
    request: (name, payload) => dispatch(handlers, name, payload) as Promise<Reply<ResultOf<typeof name>>>,
    boot: () => {
      try {
        seedDemoLabels(services, resources);
      } catch (e) {
        bus.log('warn', `the demo's feature labels were not added: ${String(e)}`, 'workspace');
      }
      void workspace.boot(options.resourcesDir).catch((e: unknown) =>
        bus.emit('log', { level: 'error', message: `opening the workspace failed: ${String(e)}`, source: 'workspace', time: Date.now() }),
      );
    },
    close: async () => {
      await jobs.cancelAll();
      // feature modules' own resources (open databases, servers) go before the engine
      for (const fn of closers.splice(0).reverse()) await fn();
      await workspace.close();
    },
  };
}

/** Grants the remembered selection's model, SAE and corpus (each exactly); paths gone since are skipped. */
function regrantSelection(files: FileAccess, dataDir: string): void {
  const sel = readSettings(dataDir).selection;
  for (const p of [sel?.model, sel?.sae, sel?.corpus]) {
    if (!p || files.allows(p)) continue;
    try {
      files.grant(p);
    } catch {
      // gone: opening it says so
    }
  }
}
