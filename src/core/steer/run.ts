import crypto from 'node:crypto';
import type { Intervention } from '#shared/intervention.ts';
import type {
  GenerationSettings,
  GridRun,
  ModelIdentity,
  NextTokenTable,
  PromptSegment,
  RunState,
  SessionChat,
  SideOutput,
  SteerSession,
  SteerSide,
} from '#shared/steer-types.ts';
import type { EventBus } from '../kernel/events.ts';
import type { Engine } from '../model/engine.ts';
import { gridLayout, runGrid, samplingOf, type GridPlan } from './grid.ts';
import type { TextTokenizer } from '../model/tokenizer.ts';
import { finite, nextTokenTable } from './next-tokens.ts';
import type { SessionProgress, SessionStore } from './session-store.ts';
import { errorFirstLine } from '#shared/error-message.ts';

/** How often a running session's tokens are written to the database (a crash loses at most this much). */
export const FLUSH_MS = 300;

/** What a run needs: the engine, the session store and the event bus. */
export interface RunDeps {
  readonly engine: Engine;
  readonly store: SessionStore;
  readonly bus: EventBus;
}

/** A run's request, checked by the caller (ids in range, positions fit, the grid can run). */
export interface RunRequest {
  /** The prompt text (a chat: as rendered). */
  readonly prompt: string;
  readonly promptIds: readonly number[];
  readonly segments: readonly PromptSegment[];
  readonly chat: SessionChat | null;
  /** As the user gave them: saved in the session, and applied with `user` / `content` placed by `segments`. */
  readonly interventions: readonly Intervention[];
  readonly settings: GenerationSettings;
  readonly identity: ModelIdentity;
  /** A sweep and / or several samples: a grid session; null: one default and one steered continuation. */
  readonly grid: GridPlan | null;
  readonly name?: string | undefined;
  readonly forkedFrom?: string | undefined;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(3).replace(/\.?0+$/, '');
}

/** A session name from the prompt, the interventions and the grid: `"The house was…" · clamp 320=0 · sweep ×6`. */
export function defaultName(prompt: string, ivs: readonly Intervention[], grid: GridPlan | null = null): string {
  const p = prompt.replace(/\s+/g, ' ').trim();
  const head = p.length > 32 ? `${p.slice(0, 31)}…` : p;
  const sym = { clamp: '=', add: '+', scale: '×' } as const;
  const what = ivs.length
    ? ivs
        .slice(0, 3)
        .map((iv) => `${iv.mode} ${iv.feature}${sym[iv.mode]}${fmt(iv.value)}`)
        .join(', ')
    : 'no steering';
  const extra = [
    ...(grid?.sweep ? [`sweep ${grid.sweep.map(fmt).join('/')}`] : []),
    ...(grid && grid.samples > 1 ? [`${grid.samples} samples`] : []),
  ];
  // a prompt with quotes of its own is set in curly ones, not doubled: “"We will win", the governor”
  const quoted = head.includes('"') ? `“${head}”` : `"${head}"`;
  return [quoted, `${what}${ivs.length > 3 ? ` +${ivs.length - 3}` : ''}`, ...extra].join(' · ');
}

const emptySide = (): SideOutput => ({ ids: [], tokens: [], logprobs: [], text: '', finish: null });

/** Appends a generated token to a side's output; returns its text and log-prob as stored (for the event). */
function appendToken(o: SideOutput, tok: TextTokenizer, id: number, logprob: number): { text: string; logprob: number } {
  const text = tok.pieces([id])[0] ?? '';
  const lp = finite(logprob);
  o.ids.push(id);
  o.tokens.push(text);
  o.logprobs.push(lp);
  return { text, logprob: lp };
}

/** Why a run failed, in words for the user. */
function explain(e: unknown): string {
  const w = errorFirstLine(e);
  // the workspace opened another model mid-run and released this one's sessions
  if (/disposed|released|engine was closed/i.test(w)) return `the model was closed during the run (another model was opened): ${w}`;
  return w;
}

/** What the generation part of a run hands back to the saving part. */
interface Produced {
  readonly progress: (state: RunState, error: string | null, finishedAt: number | null) => SessionProgress;
  /** Marks outputs still open as cancelled (the user stopped the run). */
  readonly cancelOpen: () => void;
}

/**
 * One steering run: the default and the steered continuation of a prompt with the same
 * settings and seed, or a grid of them (a sweep, several samples) generated in one batch.
 * Its session row is saved before it starts and updated every FLUSH_MS and at the end;
 * tokens stream as `steer.token` events. Cancel stops every side after its current step; a
 * cancelled or failed run keeps what it produced.
 */
export class SteerRun {
  readonly id = `run-${crypto.randomUUID().slice(0, 8)}`;
  readonly session: SteerSession;
  /** Resolves with the session as finally saved (never rejects). */
  readonly finished: Promise<SteerSession>;
  readonly #abort = new AbortController();
  readonly #interventions: readonly Intervention[];
  readonly #grid: GridPlan | null;
  #userCancelled = false;
  #dirty = false;

  constructor(
    private readonly deps: RunDeps,
    req: RunRequest,
  ) {
    const now = Date.now();
    const tok = deps.engine.tokenizer;
    this.#interventions = req.interventions;
    this.#grid = req.grid;
    this.session = {
      id: crypto.randomUUID(),
      name: req.name ?? defaultName(req.chat ? lastUserText(req.chat) : req.prompt, req.interventions, req.grid),
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
      chat: req.chat,
      segments: [...req.segments],
      sweep: req.grid?.sweep ? [...req.grid.sweep] : null,
      samples: req.grid?.samples ?? 1,
      runs: req.grid
        ? gridLayout(req.grid).map((r) => ({ ...r, seed: req.settings.seed + r.sample, output: emptySide(), metrics: null }))
        : [],
    };
    deps.store.insert(this.session);
    this.finished = this.#go();
  }

  /** Asks every side to stop after its current step. */
  cancel(): void {
    this.#userCancelled = true;
    this.#abort.abort();
  }

  get #ref(): { run: string; session: string } {
    return { run: this.id, session: this.session.id };
  }

  async #go(): Promise<SteerSession> {
    const { store, bus } = this.deps;
    const s = this.session;
    let produced: Produced | null = null;
    let failure: unknown = null;
    const flush = (): void => {
      if (!this.#dirty || !produced) return;
      this.#dirty = false;
      try {
        store.update(s.id, produced.progress('running', null, null));
      } catch (e) {
        bus.log('warn', `saving steering session ${s.id} failed: ${errorFirstLine(e)}`, 'steer');
      }
    };
    const timer = setInterval(flush, FLUSH_MS);
    try {
      const gen = this.#grid ? this.#gridRun(this.#grid) : this.#pairRun();
      produced = gen.produced;
      await gen.done;
    } catch (e) {
      failure = e;
    } finally {
      clearInterval(timer);
    }
    if (this.#userCancelled && failure === null) produced?.cancelOpen();
    const state: Exclude<RunState, 'running' | 'interrupted'> = failure !== null ? 'failed' : this.#userCancelled ? 'cancelled' : 'done';
    const error = failure !== null ? explain(failure) : null;
    const final = produced ? produced.progress(state, error, Date.now()) : { ...pick(s), state, error, finishedAt: Date.now() };
    try {
      store.update(s.id, final);
    } catch (e) {
      bus.log('error', `saving steering session ${s.id} failed: ${errorFirstLine(e)}`, 'steer');
    }
    bus.emit('steer.done', { ...this.#ref, state, ...(error !== null ? { error } : {}) });
    return { ...s, ...final, updatedAt: Date.now() };
  }

  /** The stop-sequence check of the settings, or undefined when there are none. */
  #shouldStop(): ((ids: readonly number[]) => boolean) | undefined {
    const stops = this.session.settings.stopSequences;
    if (!stops.length) return undefined;
    const tok = this.deps.engine.tokenizer;
    return (ids) => {
      const text = tok.decode(ids); // once per token, not once per stop sequence
      return stops.some((x) => text.includes(x));
    };
  }

  /** The default and the steered continuation, streaming side by side. */
  #pairRun(): { produced: Produced; done: Promise<void> } {
    const { engine, bus } = this.deps;
    const s = this.session;
    const tok = engine.tokenizer;
    const out = { default: emptySide(), steered: emptySide() } satisfies Record<SteerSide, SideOutput>;
    const dists: Record<SteerSide, Float64Array | null> = { default: null, steered: null };
    let next: NextTokenTable | null = null;
    const produced: Produced = {
      progress: (state, error, finishedAt) => ({
        state,
        error,
        finishedAt,
        next,
        runs: [],
        outputs: {
          default: { ...out.default, text: tok.decode(out.default.ids) },
          steered: { ...out.steered, text: tok.decode(out.steered.ids) },
        },
      }),
      cancelOpen: () => {
        for (const o of Object.values(out)) if (o.finish === null) o.finish = 'cancelled';
      },
    };
    const shouldStop = this.#shouldStop();
    const side = async (name: SteerSide, interventions: readonly Intervention[]): Promise<void> => {
      const o = out[name];
      const res = await engine.generate(s.promptIds, {
        maxNewTokens: s.settings.maxNewTokens,
        sampling: samplingOf(s.settings),
        stopIds: s.settings.stopAtEos ? tok.eosIds : [],
        ...(shouldStop ? { shouldStop } : {}),
        signal: this.#abort.signal,
        interventions,
        segments: s.segments,
        onToken: (t) => {
          const { text, logprob } = appendToken(o, tok, t.id, t.logprob);
          this.#dirty = true;
          bus.emit('steer.token', { ...this.#ref, side: name, index: t.index, id: t.id, text, logprob });
        },
        onFirstDistribution: (lp) => {
          dists[name] = lp;
          next = nextTokenTable(dists, (id) => tok.pieces([id])[0] ?? '');
          this.#dirty = true;
          bus.emit('steer.next', { ...this.#ref, next });
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
    const done = (async () => {
      if (this.#interventions.length) {
        // base and steer graphs are separate ORT sessions: the two sides may step together
        await Promise.all([guard(side('default', [])), guard(side('steered', this.#interventions))]);
      } else {
        // both sides on the base session: one after the other
        await guard(side('default', []));
        if (!this.#abort.signal.aborted) await guard(side('steered', []));
      }
      if (failure !== null) throw failure;
    })();
    return { produced, done };
  }

  /** A sweep and / or several samples, in one batch; each run streams with its index in `runs`. */
  #gridRun(plan: GridPlan): { produced: Produced; done: Promise<void> } {
    const { engine, bus } = this.deps;
    const s = this.session;
    const tok = engine.tokenizer;
    const runs: GridRun[] = s.runs.map((r) => ({ ...r, output: emptySide() }));
    let next: NextTokenTable | null = null;
    const firstSteered = runs.findIndex((r) => r.side === 'steered');
    const produced: Produced = {
      progress: (state, error, finishedAt) => {
        const saved = runs.map((r) => ({ ...r, output: { ...r.output, text: tok.decode(r.output.ids) } }));
        return {
          state,
          error,
          finishedAt,
          next,
          runs: saved,
          outputs: { default: saved[0]!.output, steered: saved[firstSteered]!.output },
        };
      },
      cancelOpen: () => {
        for (const r of runs) if (r.output.finish === null) r.output = { ...r.output, finish: 'cancelled' };
      },
    };
    const shouldStop = this.#shouldStop();
    const done = (async () => {
      const results = await runGrid(engine, {
        promptIds: s.promptIds,
        interventions: this.#interventions,
        segments: s.segments,
        settings: s.settings,
        plan,
        signal: this.#abort.signal,
        ...(shouldStop ? { shouldStop } : {}),
        onToken: (t) => {
          const { text, logprob } = appendToken(runs[t.run]!.output, tok, t.id, t.logprob);
          this.#dirty = true;
          bus.emit('steer.token', { ...this.#ref, row: t.run, side: runs[t.run]!.side, index: t.index, id: t.id, text, logprob });
        },
        // the next-token table compares the default with the one steering; a sweep has several (see its KL)
        ...(plan.sweep
          ? {}
          : {
              onFirst: (d: { default: Float64Array; steered: Float64Array }) => {
                next = nextTokenTable(d, (id) => tok.pieces([id])[0] ?? '');
                this.#dirty = true;
                bus.emit('steer.next', { ...this.#ref, next });
              },
            }),
      });
      results.forEach((res, i) => {
        const r = runs[i]!;
        r.output = { ...r.output, finish: res.finish };
        r.metrics = res.metrics;
      });
    })();
    return { produced, done };
  }
}

/** The parts of a session a run updates, as they are now. */
function pick(s: SteerSession): Omit<SessionProgress, 'state' | 'error' | 'finishedAt'> {
  return { outputs: s.outputs, next: s.next, runs: s.runs };
}

/** The last user message of a chat (what a session is named after). */
function lastUserText(chat: SessionChat): string {
  return [...chat.messages].reverse().find((m) => m.role === 'user')?.content ?? chat.messages.at(-1)?.content ?? '';
}
