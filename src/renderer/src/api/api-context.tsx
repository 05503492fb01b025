import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { Api, PayloadArgs } from '#shared/api.ts';
import type { EventData, EventName, RequestName, ResultOf } from '#shared/contract.ts';
import type { ReplyError } from '#shared/reply.ts';

const ApiContext = createContext<Api | undefined>(undefined);

/** Provides the `api` (IPC or HTTP; the app does not care which) to every screen. */
export function ApiProvider({ api, children }: { api: Api; children: ReactNode }) {
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
}

/** The contract's api. */
export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiProvider');
  return api;
}

/** A request's state in the UI. */
export type Loadable<T> =
  | { readonly status: 'loading' }
  | { readonly status: 'error'; readonly error: ReplyError }
  | { readonly status: 'ready'; readonly value: T };

/** Sends a request on mount (and when its payload changes); `reload` sends it again. */
export function useRequest<K extends RequestName>(
  name: K,
  ...payload: PayloadArgs<K>
): { state: Loadable<ResultOf<K>>; reload: () => void } {
  const api = useApi();
  const [state, setState] = useState<Loadable<ResultOf<K>>>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);
  // Payload objects are new on every render; their JSON is the identity that matters.
  const key = JSON.stringify(payload[0] ?? null);

  useEffect(() => {
    let live = true;
    setState({ status: 'loading' });
    // Rebuilt from its JSON so the effect depends on the payload's value, not its identity.
    const args = (key === 'null' ? [] : [JSON.parse(key)]) as PayloadArgs<K>;
    void api.request(name, ...args).then((reply) => {
      if (!live) return;
      setState(reply.ok ? { status: 'ready', value: reply.value } : { status: 'error', error: reply.error });
    });
    return () => {
      live = false;
    };
  }, [api, name, key, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { state, reload };
}

/** Calls `listener` for each `name` event while the component is mounted. */
export function useEvent<E extends EventName>(name: E, listener: (data: EventData<E>) => void): void {
  const api = useApi();
  // The latest listener, so callers need not memoise it and the subscription stays put.
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => api.on(name, (data) => latest.current(data)), [api, name]);
}
