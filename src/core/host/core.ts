import fs from 'node:fs';
import path from 'node:path';
import type { HostKind, PayloadInput, RequestName, ResultOf } from '#shared/contract.ts';
import type { Reply } from '#shared/reply.ts';
import { createHandlers, type Handlers } from './handlers.ts';
import { resolveDataDir, type DataDirInputs } from '../kernel/data-dir.ts';
import { dispatch } from './dispatch.ts';
import { EventBus } from '../kernel/events.ts';
import { FileAccess } from '../kernel/file-access.ts';
import { JobRegistry } from '../kernel/jobs.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { CoreServices, PickPath } from './services.ts';
import { hubCacheDir } from '../hub/env.ts';
import { findResources } from '../workspace/demo.ts';
import { seedDemoLabels } from '../workspace/demo-labels.ts';
import { readSettings } from '../workspace/settings.ts';
import { WorkspaceService } from '../workspace/service.ts';
import { AnnotationService } from '../annotations/service.ts';
import { AutointerpService } from '../autointerp/service.ts';
import { ExplorerService } from '../explorer/service.ts';
import { HealthService } from '../health/service.ts';
import { HubService } from '../hub/service.ts';
import { IndexService } from '../index/service.ts';
import { ModelService } from '../model/service.ts';
import { SteerService } from '../steer/service.ts';

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
   * Which paths requests may name (src/core/kernel/file-access.ts). `open`: any (default for
   * the CLI's own core, whose paths come from the user's command line); else only the data
   * folder, the HF cache, the demo and `grants` (e.g. `serve --allow-dir`).
   */
  readonly files?: { readonly open?: boolean; readonly grants?: readonly string[] };
  /** The host's native file dialog (the desktop app); what the user picks there is granted (`files.pick`). */
  readonly pickPath?: PickPath;
  /**
   * Create the data folder when it is missing (default true). The CLI's commands that only
   * read files named on their command line (`hooks`, `feature --db`, `merge`, ...) pass false,
   * so running them leaves no empty data folder behind.
   */
  readonly createDataDir?: boolean;
}

/** Creates core for one host process; the data folder is created if missing (unless `createDataDir` is false). */
export function createCore(options: CoreOptions): Core {
  const data = resolveDataDir(options.data);
  if (options.createDataDir !== false) fs.mkdirSync(data.dir, { recursive: true });
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
  const closers: (() => void | Promise<void>)[] = [];
  const kernel: Kernel = {
    host: options.host,
    data,
    bus,
    jobs,
    files,
    ...(options.pickPath ? { pickPath: options.pickPath } : {}),
    onClose: (fn) => void closers.push(fn),
  };
  const services = createServices(kernel);
  const { workspace } = services;
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
      void workspace
        .boot(options.resourcesDir)
        .catch((e: unknown) =>
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

/**
 * Builds every area's service once, each on the kernel and the services below it: index
 * and hub on the kernel alone, the workspace on the index, the rest on the workspace.
 * Services register their cleanup with `onClose`, in construction order (closed in reverse).
 */
function createServices(kernel: Kernel): CoreServices {
  const model = new ModelService(kernel);
  const index = new IndexService(kernel);
  const workspace = new WorkspaceService(kernel, index);
  const annotations = new AnnotationService({ ...kernel, workspace });
  const autointerp = new AutointerpService({ ...kernel, annotations });
  const explorer = new ExplorerService({ ...kernel, workspace, index, annotations });
  const steer = new SteerService({ ...kernel, workspace, index });
  const health = new HealthService({ ...kernel, workspace });
  const hub = new HubService(kernel);
  return { ...kernel, model, index, workspace, annotations, autointerp, explorer, steer, health, hub };
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
