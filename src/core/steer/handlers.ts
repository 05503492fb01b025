import path from 'node:path';
import type { ContractHandlers, Payload } from '../../shared/contract.ts';
import { AppError } from '../../shared/reply.ts';
import type { steerRequests, SteerSession } from '../../shared/steer-types.ts';
import type { CoreServices } from '../app/services.ts';
import type { Engine } from '../model/engine.ts';
import { exportSession, importSession } from './exchange.ts';
import { FeatureLookup, outOfRange } from './feature-info.ts';
import { SteerRun } from './run.ts';
import { SessionStore } from './session-store.ts';

/** Handlers of every request declared in src/shared/steer-types.ts. */
export type SteerHandlers = Pick<ContractHandlers, keyof typeof steerRequests>;

/** Finished runs remembered so a late `steer.cancel` still finds its session. */
const KEEP_RUNS = 50;

/** How many positions the model has, when its config says. */
export function maxPositions(engine: Engine): number | null {
  const c = engine.folder.config;
  for (const k of ['n_positions', 'max_position_embeddings', 'n_ctx']) if (typeof c[k] === 'number' && c[k] > 0) return c[k];
  return null;
}

/**
 * Builds this area's handlers for one core instance: steering runs on the workspace's
 * engine (one at a time) and the sessions database `<data>/sessions.sqlite`, opened on
 * first use and closed with core.
 */
export function steerHandlers(core: CoreServices): SteerHandlers {
  let store: SessionStore | null = null;
  let closed = false;
  const sessions = (): SessionStore => {
    if (closed) throw new AppError('unavailable', 'the app is shutting down');
    return (store ??= SessionStore.open(path.join(core.data.dir, 'sessions.sqlite'), {
      onDamaged: (_id, message) => core.bus.log('warn', message, 'steer'),
    }));
  };
  const features = new FeatureLookup(core);
  let active: SteerRun | null = null;
  let starting = false;
  const runs = new Map<string, string>();

  core.onClose(async () => {
    closed = true;
    if (active) {
      active.cancel();
      await active.finished;
    }
    features.close();
    store?.close();
    store = null;
  });

  const run = async (p: Payload<'steer.run'>) => {
    if (active || starting) {
      const what = active ? ` (session "${active.session.name}")` : '';
      throw new AppError('conflict', `a steering run is going${what}: cancel it or wait for it to end`);
    }
    starting = true;
    try {
      const engine = await core.workspace.currentEngine();
      const { selection } = await core.workspace.info();
      const c = engine.sae.config;
      for (const iv of p.interventions) if (iv.feature >= c.dSae) throw outOfRange(iv.feature, c.dSae);
      const promptIds = engine.tokenize(p.prompt);
      if (!promptIds.length) throw new AppError('bad_request', 'the prompt has no tokens: type some text');
      const limit = maxPositions(engine);
      if (limit !== null && promptIds.length + p.settings.maxNewTokens > limit) {
        throw new AppError(
          'bad_request',
          `the prompt is ${promptIds.length} tokens and ${p.settings.maxNewTokens} new tokens would pass the model's ${limit} positions: ` +
            `lower max new tokens to ${Math.max(0, limit - promptIds.length)} or shorten the prompt`,
        );
      }
      if (p.forkedFrom) sessions().get(p.forkedFrom); // not_found when it is gone
      const r = new SteerRun(
        { engine, store: sessions(), bus: core.bus },
        {
          prompt: p.prompt,
          promptIds,
          interventions: p.interventions,
          settings: p.settings,
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
      active = r;
      runs.set(r.id, r.session.id);
      if (runs.size > KEEP_RUNS) runs.delete(runs.keys().next().value!);
      void r.finished.then(() => {
        if (active === r) active = null;
      });
      return { run: r.id, session: r.session };
    } finally {
      starting = false;
    }
  };

  const cancel = async (runId: string): Promise<SteerSession> => {
    if (active?.id === runId) {
      const r = active;
      r.cancel();
      await r.finished;
      return sessions().get(r.session.id);
    }
    const id = runs.get(runId);
    if (!id) throw new AppError('not_found', `no steering run "${runId}" in this session of the app`);
    return sessions().get(id); // it has ended already: its session as saved
  };

  return {
    'steer.run': run,
    'steer.cancel': ({ run: id }) => cancel(id),
    'steer.feature': ({ id }) => features.info(id),
    'steer.tokenize': async ({ prompt }) => {
      const engine = await core.workspace.currentEngine();
      const ids = prompt ? engine.tokenize(prompt) : [];
      const bosId = engine.tokenizer.bosId;
      return {
        ids,
        tokens: engine.tokenizer.pieces(ids),
        bos: engine.sae.config.prependBos && bosId !== undefined && ids[0] === bosId,
        maxPositions: maxPositions(engine),
      };
    },
    'session.list': async () => sessions().list(),
    'session.get': async ({ id }) => sessions().get(id),
    'session.rename': async ({ id, name }) => sessions().rename(id, name),
    'session.delete': async ({ id }) => {
      if (active?.session.id === id) {
        active.cancel();
        await active.finished;
      }
      sessions().delete(id);
      return { deleted: id };
    },
    'session.export': async ({ id }) => exportSession(sessions().get(id)),
    'session.import': async ({ data }) => {
      const s = importSession(data);
      sessions().insert(s);
      return sessions().get(s.id);
    },
  };
}
