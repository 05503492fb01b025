import crypto from 'node:crypto';
import type {
  GenerationSettings,
  ModelIdentity,
  NextTokenTable,
  RunState,
  SideOutput,
  SteerIntervention,
  SteerSession,
  SteerSide,
} from '../../shared/steer-types.ts';
import type { EventBus } from '../app/events.ts';
import type { Engine } from '../model/engine.ts';
import type { SamplingOptions } from '../model/sampling.ts';
import { finite, nextTokenTable } from './next-tokens.ts';
import type { SessionStore } from './session-store.ts';

/** How often a running session's tokens are written to the database (a crash loses at most this much). */
export const FLUSH_MS = 300;

/** What a run needs: the engine, the session store and the event bus. */
export interface RunDeps {
  readonly engine: Engine;
  readonly store: SessionStore;
  readonly bus: EventBus;
}

/** A run's request, checked by the caller (ids in range, positions fit). */
export interface RunRequest {
  readonly prompt: string;
  readonly promptIds: readonly number[];
  readonly interventions: readonly SteerIntervention[];
  readonly settings: GenerationSettings;
  readonly identity: ModelIdentity;
  readonly name?: string | undefined;
  readonly forkedFrom?: string | undefined;
}

/** The engine's sampling options for a run's settings. */
export function samplingOf(s: GenerationSettings): SamplingOptions {
  if (s.greedy) return { seed: s.seed };
  return {
    temperature: s.temperature,
    seed: s.seed,
    ...(s.topK > 0 ? { topK: s.topK } : {}),
    ...(s.topP < 1 ? { topP: s.topP } : {}),
  };
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(3).replace(/\.?0+$/, '');
}

/** A session name from the prompt and the interventions: `"The house was…" · clamp 320=0`. */
export function defaultName(prompt: string, ivs: readonly SteerIntervention[]): string {
  const p = prompt.replace(/\s+/g, ' ').trim();
  const head = p.length > 32 ? `${p.slice(0, 31)}…` : p;
  const sym = { clamp: '=', add: '+', scale: '×' } as const;
  const what = ivs.length
    ? ivs
        .slice(0, 3)
        .map((iv) => `${iv.mode} ${iv.feature}${sym[iv.mode]}${fmt(iv.value)}`)
        .join(', ')
    : 'no steering';
  return `"${head}" · ${what}${ivs.length > 3 ? ` +${ivs.length - 3}` : ''}`;
}

const emptySide = (): SideOutput => ({ ids: [], tokens: [], logprobs: [], text: '', finish: null });

const words = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? 'unknown error';

/** Why a run failed, in words for the user. */
function explain(e: unknown): string {
  const w = words(e);
  // the workspace opened another model mid-run and released this one's sessions
  if (/disposed|released|engine was closed/i.test(w)) return `the model was closed during the run (another model was opened): ${w}`;
  return w;
}

/**
 * One steering run: the default and the steered continuation of a prompt with the same
 * settings and seed. Its session row is saved before it starts and updated every FLUSH_MS
 * and at the end; tokens stream as `steer.token` events. Cancel stops both sides after
 * their current step; a cancelled or failed run keeps what it produced.
 */
export class SteerRun {
  readonly id = `run-${crypto.randomUUID().slice(0, 8)}`;
  readonly session: SteerSession;
  /** Resolves with the session as finally saved (never rejects). */
  readonly finished: Promise<SteerSession>;
  readonly #abort = new AbortController();
  #userCancelled = false;

  constructor(
    private readonly deps: RunDeps,
    req: RunRequest,
  ) {
    const now = Date.now();
    const tok = deps.engine.tokenizer;
    this.session = {
      id: crypto.randomUUID(),
      name: req.name ?? defaultName(req.prompt, req.interventions),
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
      forkedFrom: req.forkedFrom ?? null,
      state: 'running',
      error: null,
      prompt: req.prompt,
      promptIds: [...req.promptIds],
      promptTokens: tok.pieces(req.promptIds),
      identity: req.identity,
      interventions: [...req.interventions],
      settings: req.settings,
      outputs: { default: emptySide(), steered: emptySide() },
      next: null,
    };
    deps.store.insert(this.session);
    this.finished = this.#go();
  }

  /** Asks both sides to stop after their current step. */
  cancel(): void {
    this.#userCancelled = true;
    this.#abort.abort();
  }

  async #go(): Promise<SteerSession> {
    const { engine, store, bus } = this.deps;
    const s = this.session;
    const tok = engine.tokenizer;
    const out = { default: emptySide(), steered: emptySide() } satisfies Record<SteerSide, SideOutput>;
    const dists: Record<SteerSide, Float64Array | null> = { default: null, steered: null };
    let next: NextTokenTable | null = null;
    let dirty = false;
    const ref = { run: this.id, session: s.id };

    const snapshot = (state: RunState, error: string | null, finishedAt: number | null) => ({
      state,
      error,
      finishedAt,
      next,
      outputs: {
        default: { ...out.default, text: tok.decode(out.default.ids) },
        steered: { ...out.steered, text: tok.decode(out.steered.ids) },
      },
    });
    const flush = (): void => {
      if (!dirty) return;
      dirty = false;
      try {
        store.update(s.id, snapshot('running', null, null));
      } catch (e) {
        bus.log('warn', `saving steering session ${s.id} failed: ${words(e)}`, 'steer');
      }
    };
    const timer = setInterval(flush, FLUSH_MS);

    const stops = s.settings.stopSequences;
    const stopIds = s.settings.stopAtEos ? tok.eosIds : [];
    const side = async (name: SteerSide, interventions: readonly SteerIntervention[]): Promise<void> => {
      const o = out[name];
      const res = await engine.generate(s.promptIds, {
        maxNewTokens: s.settings.maxNewTokens,
        sampling: samplingOf(s.settings),
        stopIds,
        ...(stops.length
          ? {
              shouldStop: (ids: readonly number[]) => {
                const text = tok.decode(ids); // once per token, not once per stop sequence
                return stops.some((x) => text.includes(x));
              },
            }
          : {}),
        signal: this.#abort.signal,
        interventions,
        onToken: (t) => {
          const text = tok.pieces([t.id])[0] ?? '';
          const logprob = finite(t.logprob);
          o.ids.push(t.id);
          o.tokens.push(text);
          o.logprobs.push(logprob);
          dirty = true;
          bus.emit('steer.token', { ...ref, side: name, index: t.index, id: t.id, text, logprob });
        },
        onFirstDistribution: (lp) => {
          dists[name] = lp;
          next = nextTokenTable(dists, (id) => tok.pieces([id])[0] ?? '');
          dirty = true;
          bus.emit('steer.next', { ...ref, next });
        },
      });
      o.finish = res.finish;
    };

    let failure: unknown = null;
    const guard = (p: Promise<void>): Promise<void> =>
      p.catch((e: unknown) => {
        failure ??= e;
        this.#abort.abort();
      });
    try {
      if (s.interventions.length) {
        // base and steer graphs are separate ORT sessions: the two sides may step together
        await Promise.all([guard(side('default', [])), guard(side('steered', s.interventions))]);
      } else {
        // both sides on the base session: one after the other
        await guard(side('default', []));
        if (!this.#abort.signal.aborted) await guard(side('steered', []));
      }
    } finally {
      clearInterval(timer);
    }
    for (const o of Object.values(out)) if (o.finish === null && this.#userCancelled && failure === null) o.finish = 'cancelled';
    const state = failure !== null ? 'failed' : this.#userCancelled ? 'cancelled' : 'done';
    const error = failure !== null ? explain(failure) : null;
    const final = snapshot(state, error, Date.now());
    try {
      store.update(s.id, final);
    } catch (e) {
      bus.log('error', `saving steering session ${s.id} failed: ${words(e)}`, 'steer');
    }
    bus.emit('steer.done', { ...ref, state, ...(error !== null ? { error } : {}) });
    return { ...s, ...final, updatedAt: Date.now() };
  }
}
