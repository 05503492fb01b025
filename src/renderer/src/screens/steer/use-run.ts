import { useCallback, useEffect, useRef, useState } from 'react';
import type { EventData, PayloadInput } from '../../../../shared/contract.ts';
import type { GridRun, NextTokenTable, SideOutput, SteerSession, SteerSide } from '../../../../shared/steer-types.ts';
import { useApi, useEvent } from '../../api/api-context.tsx';
import { updateDraft } from './draft.ts';

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

const shown = (o: SideOutput): ShownToken[] => o.ids.map((id, i) => ({ id, text: o.tokens[i] ?? '', logprob: o.logprobs[i] ?? 0 }));

type TokenEvent = EventData<'steer.token'>;

const fromSession = (s: SteerSession, run: string | null): RunView => ({
  session: s,
  run,
  status: s.state,
  tokens: { default: shown(s.outputs.default), steered: shown(s.outputs.steered) },
  grid: s.runs.length ? s.runs.map(({ output, ...r }) => ({ ...r, tokens: shown(output), finish: output.finish })) : null,
  next: s.next,
  error: s.error,
});

/** Adds a streamed token; false when tokens before it were missed (then the session is read again). */
function addToken(view: RunView, t: TokenEvent): RunView | null {
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

/**
 * A steering run's life in the UI: start, stream (tokens that arrive before the run's id
 * is known are held), cancel, and the session as saved at the end. The shown session is
 * remembered in the draft, so leaving the screen and coming back picks it up again.
 */
export function useSteerRun(shown: { session: string; run: string | null } | null, onSaved: () => void) {
  const api = useApi();
  const [view, setView] = useState<RunView | null>(null);
  const [startError, setStartError] = useState<string | null>(null);
  const runRef = useRef<string | null>(null);
  const starting = useRef(false);
  /** Cancel was asked for before the run's id came back: cancel as soon as it does. */
  const cancelAsked = useRef(false);
  const held = useRef<(TokenEvent | EventData<'steer.next'> | EventData<'steer.done'>)[]>([]);
  const onSavedRef = useRef(onSaved);
  useEffect(() => {
    onSavedRef.current = onSaved;
  });

  const readSession = useCallback(
    async (id: string, run: string | null) => {
      const reply = await api.request('session.get', { id });
      if (reply.ok) {
        const live = reply.value.state === 'running';
        if (!live && runRef.current === run) runRef.current = null;
        setView(fromSession(reply.value, live ? run : null));
      } else setView((v) => (v && v.session?.id === id ? { ...v, error: reply.error.message } : v));
      return reply.ok ? reply.value : null;
    },
    [api],
  );

  // on mount, pick up what the draft shows (after coming back to the screen, or a reload)
  const initial = useRef(shown);
  useEffect(() => {
    const first = initial.current;
    if (!first) return;
    runRef.current = first.run;
    void readSession(first.session, first.run);
  }, [readSession]);

  const finish = useCallback(
    (d: EventData<'steer.done'>) => {
      runRef.current = null;
      updateDraft((x) => ({ ...x, shown: { session: d.session, run: null } }));
      void readSession(d.session, null).then(() => onSavedRef.current());
    },
    [readSession],
  );

  const apply = useCallback(
    (e: TokenEvent | EventData<'steer.next'> | EventData<'steer.done'>) => {
      if ('side' in e) {
        setView((v) => {
          if (!v) return v;
          const next = addToken(v, e);
          if (next) return next;
          void readSession(e.session, e.run);
          return v;
        });
      } else if ('next' in e) {
        setView((v) => (v ? { ...v, next: e.next } : v));
      } else {
        finish(e);
      }
    },
    [finish, readSession],
  );

  const route = (e: TokenEvent | EventData<'steer.next'> | EventData<'steer.done'>): void => {
    if (runRef.current === e.run) apply(e);
    else if (starting.current) held.current.push(e);
    // a run not shown here (another window, or one left for another session) ended: the list changed
    else if ('state' in e) onSavedRef.current();
  };
  useEvent('steer.token', route);
  useEvent('steer.next', route);
  useEvent('steer.done', route);

  const start = useCallback(
    async (payload: PayloadInput<'steer.run'>) => {
      if (starting.current) return;
      starting.current = true;
      cancelAsked.current = false;
      held.current = [];
      setStartError(null);
      setView((v) =>
        v
          ? { ...v, status: 'starting', error: null }
          : { session: null, run: null, status: 'starting', tokens: { default: [], steered: [] }, grid: null, next: null, error: null },
      );
      const reply = await api.request('steer.run', payload);
      starting.current = false;
      if (!reply.ok) {
        held.current = [];
        setStartError(reply.error.message);
        setView((v) => (v?.session ? fromSession(v.session, null) : null));
        return;
      }
      const { run, session } = reply.value;
      runRef.current = run;
      setView(fromSession(session, run));
      updateDraft((d) => ({ ...d, shown: { session: session.id, run } }));
      onSavedRef.current();
      const early = held.current.filter((e) => e.run === run);
      held.current = [];
      for (const e of early) apply(e);
      if (cancelAsked.current && runRef.current === run) void api.request('steer.cancel', { run });
    },
    [api, apply],
  );

  const cancel = useCallback(async () => {
    const run = runRef.current;
    if (!run) {
      if (starting.current) cancelAsked.current = true;
      return;
    }
    const reply = await api.request('steer.cancel', { run });
    if (!reply.ok) setStartError(reply.error.message);
  }, [api]);

  /** Shows a saved session (no run). */
  const show = useCallback((s: SteerSession) => {
    runRef.current = s.state === 'running' ? runRef.current : null;
    setStartError(null);
    setView(fromSession(s, null));
    updateDraft((d) => ({ ...d, shown: { session: s.id, run: null } }));
  }, []);

  const clear = useCallback(() => {
    if (runRef.current) return;
    setView(null);
    updateDraft((d) => ({ ...d, shown: null }));
  }, []);

  const running = view?.status === 'starting' || view?.status === 'running';
  return { view, startError, running, start, cancel, show, clear, readSession };
}
