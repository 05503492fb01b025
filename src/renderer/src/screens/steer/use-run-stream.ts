import { useCallback, useEffect, useMemo, useRef, type Dispatch, type RefObject, type SetStateAction } from 'react';
import type { EventData } from '#shared/contract.ts';
import type { SteerSession } from '#shared/steer-types.ts';
import { useApi, useEvent } from '../../api/api-context.tsx';
import { updateDraft } from './draft.ts';
import { addToken, fromSession, type RunEvent, type RunView } from './run-view.ts';

export type SetView = Dispatch<SetStateAction<RunView | null>>;

/** A run's bookkeeping outside React state; the object and its refs stay the same for the component's life. */
export interface RunRefs {
  /** The run shown here while it streams. */
  readonly run: RefObject<string | null>;
  readonly starting: RefObject<boolean>;
  /** Cancel was asked for before the run's id came back: cancel as soon as it does. */
  readonly cancelAsked: RefObject<boolean>;
  /** Events that arrived while the run's id was not yet known. */
  readonly held: RefObject<RunEvent[]>;
  /** The latest onSaved, so callbacks need not depend on it. */
  readonly onSaved: RefObject<() => void>;
}

export function useRunRefs(onSaved: () => void): RunRefs {
  const run = useRef<string | null>(null);
  const starting = useRef(false);
  const cancelAsked = useRef(false);
  const held = useRef<RunEvent[]>([]);
  const onSavedRef = useRef(onSaved);
  useEffect(() => {
    onSavedRef.current = onSaved;
  });
  return useMemo(() => ({ run, starting, cancelAsked, held, onSaved: onSavedRef }), []);
}

/** Reads a session and shows it; returns it, or null when it could not be read (the error is shown). */
export function useSessionReader(runRef: RefObject<string | null>, setView: SetView) {
  const api = useApi();
  return useCallback(
    async (id: string, run: string | null): Promise<SteerSession | null> => {
      const reply = await api.request('session.get', { id });
      if (reply.ok) {
        const live = reply.value.state === 'running';
        if (!live && runRef.current === run) runRef.current = null;
        setView(fromSession(reply.value, live ? run : null));
      } else setView((v) => (v && v.session?.id === id ? { ...v, error: reply.error.message } : v));
      return reply.ok ? reply.value : null;
    },
    [api, runRef, setView],
  );
}

/**
 * Routes the run events: those of the shown run are applied, those that come while a run is
 * starting are held, and the end of any other run reloads the list. Returns `apply`, for held events.
 */
export function useRunEvents(refs: RunRefs, setView: SetView, readSession: ReturnType<typeof useSessionReader>) {
  const finish = useCallback(
    (d: EventData<'steer.done'>) => {
      refs.run.current = null;
      updateDraft((x) => ({ ...x, shown: { session: d.session, run: null } }));
      void readSession(d.session, null).then(() => refs.onSaved.current());
    },
    [readSession, refs],
  );

  const apply = useCallback(
    (e: RunEvent) => {
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
    [finish, readSession, setView],
  );

  const route = (e: RunEvent): void => {
    if (refs.run.current === e.run) apply(e);
    else if (refs.starting.current) refs.held.current.push(e);
    // a run not shown here (another window, or one left for another session) ended: the list changed
    else if ('state' in e) refs.onSaved.current();
  };
  useEvent('steer.token', route);
  useEvent('steer.next', route);
  useEvent('steer.done', route);
  return apply;
}
