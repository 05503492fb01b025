import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { JobRemedy } from '#shared/contract.ts';
import type { IndexStartResult, IndexStatus } from '#shared/index-types.ts';
import { AppError } from '#shared/reply.ts';
import type { Selection, WorkspaceInfo } from '#shared/workspace-types.ts';
import { graphCacheDir } from '../kernel/data-dir.ts';
import type { EngineLease } from '../index/service.ts';
import { indexesDir } from '../kernel/index-path.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { Engine } from '../model/engine.ts';
import { describePreprocessing } from '../sae/preprocessing.ts';
import { demoSelection, findResources } from './demo.ts';
import { readSettings, writeSettings } from './settings.ts';
import { errorMessage } from '#shared/error-message.ts';

/** What the workspace uses of the index service (src/core/index/service.ts), called directly. */
export interface IndexAccess {
  /** Starts the index job; with `lease`, it captures on that engine and releases it at its end. */
  start(
    p: { model: string; sae: string; hook?: string; corpus: string; db: string; invalidUtf8?: 'replace' },
    lease?: EngineLease,
  ): Promise<IndexStartResult>;
  status(db: string): Promise<IndexStatus>;
}

/** A path with symlinks resolved, or as given when it does not exist. */
function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * The model, SAE and corpus the app works on, remembered in settings.json, with the engine
 * loaded for them (long-lived: ONNX sessions are kept) and their activation index.
 */
export class Workspace {
  private selection: Selection | null;
  private engine: Promise<Engine> | null = null;
  /** The engine once `engine` has resolved: info() reports it without waiting for a load. */
  private loaded: Engine | null = null;
  /** The latest index job this workspace started (running or not). */
  private indexJob: string | null = null;
  private error: string | null = null;
  /** The folder holding the embedded demo, once boot has looked for it. */
  private resources: string | undefined;
  /** Index jobs capturing on each engine: one replaced meanwhile is closed when the last lets go. */
  readonly #users = new Map<Engine, number>();
  readonly #retired = new Set<Engine>();

  constructor(
    private readonly core: Omit<Kernel, 'onClose'>,
    private readonly index: IndexAccess,
  ) {
    this.selection = readSettings(core.data.dir).selection ?? null;
  }

  /** The index file of a selection: one per (model, SAE, hook, corpus), named for the corpus. */
  dbFor(sel: Selection): string | null {
    if (!sel.corpus) return null;
    const key = crypto
      .createHash('sha256')
      .update(JSON.stringify([path.resolve(sel.model), path.resolve(sel.sae), sel.hook ?? '', path.resolve(sel.corpus)]))
      .digest('hex')
      .slice(0, 10);
    const name = path.basename(sel.corpus, path.extname(sel.corpus));
    return path.join(indexesDir(this.core.data.dir), `${name}-${key}.sqlite`);
  }

  /**
   * First run: with nothing chosen, open the embedded demo; then make sure the selection's
   * index exists and is complete, starting (or resuming) the index job in the background.
   */
  async boot(resourcesDir?: string): Promise<void> {
    this.resources = findResources(resourcesDir);
    if (!this.selection) {
      const res = this.resources;
      if (!res) return;
      this.select(demoSelection(res));
    }
    await this.ensureIndex();
    // load the engine now, so the first prompt does not wait for it (errors land in info())
    void this.currentEngine().catch(() => undefined);
  }

  private select(sel: Selection): void {
    this.selection = sel;
    writeSettings(this.core.data.dir, { ...readSettings(this.core.data.dir), selection: sel });
  }

  /** Starts the index job unless the index is complete or a job is already on it. */
  private async ensureIndex(): Promise<void> {
    const sel = this.selection;
    const db = sel && this.dbFor(sel);
    if (!sel?.corpus || !db) return;
    if (this.indexJob && this.core.jobs.get(this.indexJob)?.state === 'running') return;
    if (fs.existsSync(db)) {
      const st = await this.index.status(db).catch(() => null);
      if (st?.state === 'complete') return;
    }
    // The job captures on the workspace's engine: one copy of the model per process. When it
    // cannot load, the job opens its own and fails with the same error in the job's log.
    const lease = await this.leaseEngine();
    try {
      const started = await this.index.start(
        {
          model: sel.model,
          sae: sel.sae,
          corpus: sel.corpus,
          db,
          ...(sel.hook ? { hook: sel.hook } : {}),
          ...(sel.invalidUtf8 ? { invalidUtf8: sel.invalidUtf8 } : {}),
        },
        lease,
      );
      this.indexJob = started.job;
      // (an engine that failed to load keeps its error)
      if (lease) this.error = null;
      // Retry (Jobs, Features, Models) goes through the workspace, so it follows the new job
      // and remembers a remedy for the next start of the app.
      this.core.jobs.setRetry(started.job, (remedy) => this.retryIndex(db, remedy));
    } catch (e) {
      lease?.release();
      this.error = `indexing ${path.basename(sel.corpus)} could not start: ${errorMessage(e)}`;
    }
  }

  /** The current engine for an index job, held open until released; undefined when it does not load. */
  private async leaseEngine(): Promise<EngineLease | undefined> {
    let engine: Engine;
    try {
      engine = await this.currentEngine();
    } catch {
      return undefined;
    }
    this.#users.set(engine, (this.#users.get(engine) ?? 0) + 1);
    let released = false;
    return {
      engine,
      release: () => {
        if (released) return;
        released = true;
        const left = (this.#users.get(engine) ?? 1) - 1;
        if (left > 0) return void this.#users.set(engine, left);
        this.#users.delete(engine);
        if (this.#retired.delete(engine)) void engine.close().catch(() => undefined);
      },
    };
  }

  /** Closes an engine the workspace no longer holds, now or when its last index job lets go. */
  private async retire(engine: Engine): Promise<void> {
    if (this.#users.has(engine)) this.#retired.add(engine);
    else await engine.close();
  }

  /** Runs the index job of `db` again (a `jobs.retry` of it), with the remedy chosen; answers the new job. */
  private async retryIndex(db: string, remedy: JobRemedy | undefined): Promise<string> {
    const sel = this.selection;
    if (!sel || this.dbFor(sel) !== db) {
      throw new AppError(
        'conflict',
        `the workspace has changed since ${path.basename(db)} was indexed: open that model, SAE and corpus again`,
      );
    }
    if (remedy === 'replace-invalid-utf8') this.select({ ...sel, invalidUtf8: 'replace' });
    const before = this.indexJob;
    await this.ensureIndex();
    if (this.error) throw new AppError('unavailable', this.error);
    if (!this.indexJob || this.indexJob === before) throw new AppError('conflict', `${path.basename(db)} is complete already`);
    return this.indexJob;
  }

  /** The embedded demo's selection when `sel` names its model, SAE and corpus (so reopening it keeps its badge). */
  private asDemo(sel: Selection): Selection {
    const res = this.resources ?? findResources();
    if (!res || sel.demo) return sel;
    const demo = demoSelection(res);
    const same = (a: string | undefined, b: string | undefined): boolean =>
      a !== undefined && b !== undefined && realPath(a) === realPath(b);
    return same(sel.model, demo.model) && same(sel.sae, demo.sae) && same(sel.corpus, demo.corpus) ? { ...sel, demo: true } : sel;
  }

  private openEngine(sel: Selection): Promise<Engine> {
    return Engine.open({
      model: sel.model,
      sae: sel.sae,
      cacheDir: graphCacheDir(this.core.data.dir),
      ...(sel.hook ? { hook: sel.hook } : {}),
      // this thread answers the app's requests: captures (index jobs, a text's latents) run beside it
      captureThread: true,
    });
  }

  /** The engine for the current selection, opened on first use. */
  async currentEngine(): Promise<Engine> {
    const sel = this.selection;
    if (!sel) throw new AppError('unavailable', 'no model is open: choose a model and an SAE in Models first');
    if (!this.engine) {
      const opening = this.openEngine(sel);
      this.engine = opening;
      opening.then(
        (e) => {
          if (this.engine === opening) this.loaded = e;
          this.error = null;
          this.core.bus.emit('workspace.changed', {});
        },
        (e: unknown) => {
          this.error = errorMessage(e);
          if (this.engine === opening) this.engine = null;
          this.core.bus.emit('workspace.changed', {});
        },
      );
    }
    try {
      return await this.engine;
    } catch (e) {
      throw new AppError('bad_request', errorMessage(e));
    }
  }

  /** Opens a new selection: the engine must load (else nothing changes), then its index is ensured. */
  async open(chosen: Selection): Promise<WorkspaceInfo> {
    const previous = this.selection;
    // the same corpus again keeps how its bytes are read
    const keep = previous?.invalidUtf8 && chosen.corpus && previous.corpus && realPath(previous.corpus) === realPath(chosen.corpus);
    const sel = this.asDemo(keep ? { ...chosen, invalidUtf8: previous.invalidUtf8 } : chosen);
    const engine = await this.openEngine(sel).catch((e: unknown) => {
      throw new AppError('bad_request', errorMessage(e));
    });
    const old = this.engine;
    this.engine = Promise.resolve(engine);
    this.loaded = engine;
    this.indexJob = null;
    this.error = null;
    this.select(sel);
    if (old) void old.then((e) => this.retire(e)).catch(() => undefined);
    await this.ensureIndex();
    return this.info();
  }

  /** The workspace as the UI shows it. */
  async info(): Promise<WorkspaceInfo> {
    const sel = this.selection;
    const db = sel ? this.dbFor(sel) : null;
    let engine: WorkspaceInfo['engine'] = null;
    const loaded = this.loaded;
    if (loaded) {
      const c = loaded.sae.config;
      const preprocessing = describePreprocessing(c);
      engine = {
        hook: loaded.hook,
        architecture: c.architecture,
        dIn: c.dIn,
        dSae: c.dSae,
        preprocessing,
        provider: loaded.activeProvider,
      };
    }
    const index = db && fs.existsSync(db) ? await this.index.status(db).catch(() => null) : null;
    const last = (this.indexJob && this.core.jobs.get(this.indexJob)) || null;
    const running = last && (last.state === 'queued' || last.state === 'running') ? last.id : null;
    return { selection: sel, engine, db, index, indexJob: running, lastIndexJob: last, error: this.error };
  }

  async close(): Promise<void> {
    const e = this.engine;
    this.engine = null;
    this.loaded = null;
    if (e) await e.then((x) => this.retire(x)).catch(() => undefined);
  }
}
