import { useCallback, useEffect, useRef, useState, type Dispatch, type SetStateAction } from 'react';
import type { PayloadInput } from '#shared/contract.ts';
import type { SteerSession } from '#shared/steer-types.ts';
import { useApi } from '../../api/api-context.tsx';
import { updateDraft } from './draft.ts';
import { fromSession, startingView, type RunEvent, type RunView } from './run-view.ts';
import { useRunEvents, useRunRefs, useSessionReader, type RunRefs, type SetView } from './use-run-stream.ts';

/** Starts a run: holds the events that beat its id back, then applies them, and cancels if asked meanwhile. */
function useStartRun(
  refs: RunRefs,
  setView: SetView,
  setStartError: Dispatch<SetStateAction<string | null>>,
  apply: (e: RunEvent) => void,
) {
  const api = useApi();
  return useCallback(
    async (payload: PayloadInput<'steer.run'>) => {
      if (refs.starting.current) return;
      refs.starting.current = true;
      refs.cancelAsked.current = false;
      refs.held.current = [];
      setStartError(null);
      setView(startingView);
      const reply = await api.request('steer.run', payload);
      refs.starting.current = false;
      if (!reply.ok) {
        refs.held.current = [];
        setStartError(reply.error.message);
        setView((v) => (v?.session ? fromSession(v.session, null) : null));
        return;
      }
      const { run, session } = reply.value;
      refs.run.current = run;
      setView(fromSession(session, run));
      updateDraft((d) => ({ ...d, shown: { session: session.id, run } }));
      refs.onSaved.current();
      const early = refs.held.current.filter((e) => e.run === run);
      refs.held.current = [];
      for (const e of early) apply(e);
      if (refs.cancelAsked.current && refs.run.current === run) void api.request('steer.cancel', { run });
    },
    [api, apply, refs, setStartError, setView],
  );
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
  const refs = useRunRefs(onSaved);
  const readSession = useSessionReader(refs.run, setView);

  // on mount, pick up what the draft shows (after coming back to the screen, or a reload)
  const initial = useRef(shown);
  useEffect(() => {
    const first = initial.current;
    if (!first) return;
    refs.run.current = first.run;
    void readSession(first.session, first.run);
  }, [readSession, refs]);

  const apply = useRunEvents(refs, setView, readSession);
  const start = useStartRun(refs, setView, setStartError, apply);

  const cancel = useCallback(async () => {
    const run = refs.run.current;
    if (!run) {
      if (refs.starting.current) refs.cancelAsked.current = true;
      return;
    }
    const reply = await api.request('steer.cancel', { run });
    if (!reply.ok) setStartError(reply.error.message);
  }, [api, refs]);

  /** Shows a saved session (no run). */
  const show = useCallback(
    (s: SteerSession) => {
      refs.run.current = s.state === 'running' ? refs.run.current : null;
      setStartError(null);
      setView(fromSession(s, null));
      updateDraft((d) => ({ ...d, shown: { session: s.id, run: null } }));
    },
    [refs],
  );

  const clear = useCallback(() => {
    if (refs.run.current) return;
    setView(null);
    updateDraft((d) => ({ ...d, shown: null }));
  }, [refs]);

  const running = view?.status === 'starting' || view?.status === 'running';
  return { view, startError, running, start, cancel, show, clear, readSession };
}
