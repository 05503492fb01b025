import type { EventData } from '#shared/contract.ts';
import type { GridRun, NextTokenTable, SideOutput, SteerSession, SteerSide } from '#shared/steer-types.ts';

/** One generated token as shown. */
export interface ShownToken {
  readonly id: number;
  readonly text: string;
  readonly logprob: number;
}

/** One continuation of a grid (sweep or samples) as shown. */
export interface GridRunView extends Omit<GridRun, 'output'> {
  readonly tokens: readonly ShownToken[];
  readonly finish: SideOutput['finish'];
}

/** What the output panel shows: a saved session, plus tokens streamed since it was read. */
export interface RunView {
  /** The session as last read (its settings, identity, state); null while a run is starting. */
  readonly session: SteerSession | null;
  readonly run: string | null;
  /** `starting`: the request is on its way; otherwise the session's state. */
  readonly status: 'starting' | SteerSession['state'];
  readonly tokens: Record<SteerSide, readonly ShownToken[]>;
  /** A grid session's runs (a sweep, several samples); null for a plain run. */
  readonly grid: readonly GridRunView[] | null;
  readonly next: NextTokenTable | null;
  readonly error: string | null;
}

export type TokenEvent = EventData<'steer.token'>;

/** Any event of a steering run. */
export type RunEvent = TokenEvent | EventData<'steer.next'> | EventData<'steer.done'>;

const shown = (o: SideOutput): ShownToken[] => o.ids.map((id, i) => ({ id, text: o.tokens[i] ?? '', logprob: o.logprobs[i] ?? 0 }));

export const fromSession = (s: SteerSession, run: string | null): RunView => ({
  session: s,
  run,
  status: s.state,
  tokens: { default: shown(s.outputs.default), steered: shown(s.outputs.steered) },
  grid: s.runs.length ? s.runs.map(({ output, ...r }) => ({ ...r, tokens: shown(output), finish: output.finish })) : null,
  next: s.next,
  error: s.error,
});

/** The view while a run's request is on its way: the last one kept (marked starting), or an empty one. */
export const startingView = (v: RunView | null): RunView =>
  v
    ? { ...v, status: 'starting', error: null }
    : { session: null, run: null, status: 'starting', tokens: { default: [], steered: [] }, grid: null, next: null, error: null };

/** Adds a streamed token; false when tokens before it were missed (then the session is read again). */
export function addToken(view: RunView, t: TokenEvent): RunView | null {
  if (t.row !== undefined) {
    const run = view.grid?.[t.row];
    if (!run || t.index > run.tokens.length) return null;
    if (t.index < run.tokens.length) return view;
    const grid = view.grid!.map((r, i) =>
      i === t.row ? { ...r, tokens: [...r.tokens, { id: t.id, text: t.text, logprob: t.logprob }] } : r,
    );
    return { ...view, grid };
  }
  const list = view.tokens[t.side];
  if (t.index < list.length) return view; // already have it (read from the database)
  if (t.index > list.length) return null;
  return { ...view, tokens: { ...view.tokens, [t.side]: [...list, { id: t.id, text: t.text, logprob: t.logprob }] } };
}
