import path from 'node:path';
import type { Payload } from '#shared/contract.ts';
import { AppError } from '#shared/reply.ts';
import type { Intervention } from '#shared/intervention.ts';
import type {
  GenerationSettings,
  PromptSegment,
  SteerChatInfo,
  SteerRunStarted,
  SteerSession,
  SteerTokenized,
} from '#shared/steer-types.ts';
import type { IndexService } from '../index/service.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { Continuation, Engine } from '../model/engine.ts';
import type { WorkspaceService } from '../workspace/service.ts';
import { FeatureLookup, outOfRange } from './feature-info.ts';
import { gridProblem, runGrid, samplingOf, type GridPlan, type GridRequest, type GridRunResult } from './grid.ts';
import { buildPrompt, chatTemplate, checkPositions, modelChatTemplate, type BuiltPrompt } from './prompt.ts';
import { SteerRun } from './run.ts';
import { SessionStore } from './session-store.ts';

/** What the steer service is built from. */
export type SteerServiceDeps = Pick<Kernel, 'data' | 'bus' | 'onClose'> & {
  readonly workspace: WorkspaceService;
  readonly index: Pick<IndexService, 'reader'>;
};

/** Finished runs remembered so a late `steer.cancel` still finds its session. */
const KEEP_RUNS = 50;

/** How many positions the model has, when its config says. */
export function maxPositions(engine: Engine): number | null {
  const c = engine.folder.config;
  for (const k of ['n_positions', 'max_position_embeddings', 'n_ctx']) if (typeof c[k] === 'number' && c[k] > 0) return c[k];
  return null;
}

/**
 * Steering for one core instance: runs on the workspace's engine (one at a time), feature
 * checks, prompts (plain or chat) as the model sees them, and the sessions database
 * `<data>/sessions.sqlite`, opened on first use and closed with core.
 */
export class SteerService {
  #store: SessionStore | null = null;
  #closed = false;
  readonly #features: FeatureLookup;
  #active: SteerRun | null = null;
  #starting = false;
  readonly #runs = new Map<string, string>();

  constructor(private readonly core: SteerServiceDeps) {
    this.#features = new FeatureLookup(core);
    core.onClose(async () => {
      this.#closed = true;
      if (this.#active) {
        this.#active.cancel();
        await this.#active.finished;
      }
      this.#features.close();
      this.#store?.close();
      this.#store = null;
    });
  }

  /** The sessions database (opened on first use). */
  sessions(): SessionStore {
    if (this.#closed) throw new AppError('unavailable', 'the app is shutting down');
    return (this.#store ??= SessionStore.open(path.join(this.core.data.dir, 'sessions.sqlite'), {
      onDamaged: (_id, message) => this.core.bus.log('warn', message, 'steer'),
    }));
  }

  /** Starts a run (a pair, or a grid when there is a sweep or several samples); one at a time. */
  async start(p: Payload<'steer.run'>): Promise<SteerRunStarted> {
    if (this.#active || this.#starting) {
      const what = this.#active ? ` (session "${this.#active.session.name}")` : '';
      throw new AppError('conflict', `a steering run is going${what}: cancel it or wait for it to end`);
    }
    this.#starting = true;
    try {
      const engine = await this.core.workspace.currentEngine();
      const { selection } = await this.core.workspace.info();
      const c = engine.sae.config;
      for (const iv of p.interventions) if (iv.feature >= c.dSae) throw outOfRange(iv.feature, c.dSae);
      const grid: GridPlan | null = p.sweep || p.samples > 1 ? { sweep: p.sweep ?? null, samples: p.samples } : null;
      const problem = grid && gridProblem(grid, p.settings);
      if (problem) throw new AppError('bad_request', problem);
      if (p.sweep && !p.interventions.length)
        throw new AppError('bad_request', 'a sweep scales the interventions: add a feature to steer first');
      const prompt = buildPrompt(engine, p);
      if (!prompt.ids.length) throw new AppError('bad_request', 'the prompt has no tokens: type some text');
      const limit = maxPositions(engine);
      if (limit !== null && prompt.ids.length + p.settings.maxNewTokens > limit) {
        throw new AppError(
          'bad_request',
          `the prompt is ${prompt.ids.length} tokens and ${p.settings.maxNewTokens} new tokens would pass the model's ${limit} positions: ` +
            `lower max new tokens to ${Math.max(0, limit - prompt.ids.length)} or shorten the prompt`,
        );
      }
      checkPositions(p.interventions, prompt.segments);
      if (p.forkedFrom) this.sessions().get(p.forkedFrom); // not_found when it is gone
      const r = new SteerRun(
        { engine, store: this.sessions(), bus: this.core.bus },
        {
          prompt: prompt.text,
          promptIds: prompt.ids,
          segments: prompt.segments,
          chat: prompt.chat,
          interventions: p.interventions,
          settings: p.settings,
          grid,
          identity: {
            model: selection?.model ?? engine.folder.dir,
            sae: selection?.sae ?? engine.sae.source.path,
            hook: engine.hook,
            architecture: c.architecture,
            dIn: c.dIn,
            dSae: c.dSae,
            demo: selection?.demo === true,
          },
          name: p.name,
          forkedFrom: p.forkedFrom,
        },
      );
      this.#active = r;
      this.#runs.set(r.id, r.session.id);
      if (this.#runs.size > KEEP_RUNS) this.#runs.delete(this.#runs.keys().next().value!);
      void r.finished.then(() => {
        if (this.#active === r) this.#active = null;
      });
      return { run: r.id, session: r.session };
    } finally {
      this.#starting = false;
    }
  }

  /** Stops a run; resolves with its session as saved. */
  async cancel(runId: string): Promise<SteerSession> {
    if (this.#active?.id === runId) {
      const r = this.#active;
      r.cancel();
      await r.finished;
      return this.sessions().get(r.session.id);
    }
    const id = this.#runs.get(runId);
    if (!id) throw new AppError('not_found', `no steering run "${runId}" in this session of the app`);
    return this.sessions().get(id); // it has ended already: its session as saved
  }

  /** Deletes a session, cancelling it first when it runs. */
  async delete(id: string): Promise<{ deleted: string }> {
    if (this.#active?.session.id === id) {
      this.#active.cancel();
      await this.#active.finished;
    }
    this.sessions().delete(id);
    return { deleted: id };
  }

  /** A feature checked against the SAE, with its index figures. */
  feature(id: number): ReturnType<FeatureLookup['info']> {
    return this.#features.info(id);
  }

  /** A prompt (or chat) as a run would see it. */
  async tokenize(p: Payload<'steer.tokenize'>): Promise<SteerTokenized> {
    const engine = await this.core.workspace.currentEngine();
    const prompt = p.chat || p.prompt ? buildPrompt(engine, p) : { text: '', ids: [], segments: [] };
    const bosId = engine.tokenizer.bosId;
    return {
      ids: prompt.ids,
      tokens: engine.tokenizer.pieces(prompt.ids),
      bos: !p.chat && engine.sae.config.prependBos && bosId !== undefined && prompt.ids[0] === bosId,
      maxPositions: maxPositions(engine),
      text: prompt.text,
      segments: prompt.segments,
    };
  }

  /** Whether the open model has a chat template, and whether it takes a system message. */
  async chatInfo(): Promise<SteerChatInfo> {
    const engine = await this.core.workspace.currentEngine();
    const found = modelChatTemplate(engine);
    if (!found) return { template: null, source: null, system: false };
    let system: boolean;
    try {
      system = chatTemplate(engine, found.template).allowsSystem();
    } catch {
      system = false; // a template that does not parse: runs will say so
    }
    return { template: found.template, source: found.source, system };
  }

  // ---- On an engine of the caller's own (the CLI's `steer`: a model and SAE named outright) ----

  /** A prompt (or chat) as a run on `engine` sees it; a bad template or chat is a `bad_request`. */
  prompt(engine: Engine, p: Parameters<typeof buildPrompt>[1]): BuiltPrompt {
    return buildPrompt(engine, p);
  }

  /** Refuses interventions whose positions the prompt does not have (`user` without a user message, ...). */
  checkPositions(list: readonly Intervention[], segments: readonly PromptSegment[]): void {
    checkPositions(list, segments);
  }

  /** Why a grid cannot run with these settings (samples without sampling, too many rows), or null. */
  gridProblem(plan: GridPlan, settings: GenerationSettings): string | null {
    return gridProblem(plan, settings);
  }

  /** One default and one steered continuation of a prompt on `engine`. */
  pair(
    engine: Engine,
    r: Pick<GridRequest, 'promptIds' | 'segments' | 'settings' | 'signal'> & { readonly interventions: readonly Intervention[] },
  ): Promise<{ baseline: Continuation; steered: Continuation }> {
    return engine.compare(r.promptIds, {
      maxNewTokens: r.settings.maxNewTokens,
      sampling: samplingOf(r.settings),
      interventions: r.interventions,
      segments: r.segments ?? [],
      ...(r.signal ? { signal: r.signal } : {}),
    });
  }

  /** A sweep and / or several samples on `engine`, with each steered run's KL and coherence. */
  grid(engine: Engine, r: GridRequest): Promise<GridRunResult[]> {
    return runGrid(engine, r);
  }
}
