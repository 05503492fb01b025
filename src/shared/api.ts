import type { AppEvent, EventData, EventName, PayloadInput, RequestName, ResultOf } from './contract.ts';
import type { Reply } from './reply.ts';
import { errorMessage } from './error-message.ts';

/**
 * How requests and events travel: Electron IPC (src/preload) or HTTP + server-sent events
 * (src/renderer/src/transport). A transport never throws for a failed request; it answers
 * with a failed `Reply` (code `transport` when the channel itself broke).
 */
export interface Transport {
  /** Sends one request; resolves with the host's reply. */
  request<K extends RequestName>(name: K, payload: PayloadInput<K> | undefined): Promise<Reply<ResultOf<K>>>;
  /** Receives every event from the host until the returned function is called. */
  subscribe(listener: (event: AppEvent) => void): () => void;
}

/** The payload argument: optional when the request takes nothing. */
export type PayloadArgs<K extends RequestName> =
  Record<string, never> extends PayloadInput<K> ? [payload?: PayloadInput<K>] : [payload: PayloadInput<K>];

/**
 * What the renderer talks to, identical over IPC and HTTP. Requests resolve with a
 * `Reply` (never reject); event listeners get typed data.
 */
export interface Api {
  /** Sends request `name`; e.g. `await api.request('jobs.cancel', { job })`. */
  request<K extends RequestName>(name: K, ...payload: PayloadArgs<K>): Promise<Reply<ResultOf<K>>>;
  /** Calls `listener` for each `name` event until the returned function is called. */
  on<E extends EventName>(name: E, listener: (data: EventData<E>) => void): () => void;
}

/**
 * Builds the `api` object over a transport. It holds one transport subscription while
 * any listener is registered, and fans events out by name.
 */
export function createApi(transport: Transport): Api {
  const listeners = new Map<EventName, Set<(data: never) => void>>();
  let unsubscribe: (() => void) | undefined;

  const deliver = (event: AppEvent): void => {
    for (const listener of listeners.get(event.name) ?? []) {
      try {
        // The set under event.name only holds listeners for that event's data.
        (listener as (data: AppEvent['data']) => void)(event.data);
      } catch (e) {
        // One broken listener must not starve the others.
        console.error(`listener for "${event.name}" failed`, e);
      }
    }
  };

  return {
    request: async (name, ...payload) => {
      try {
        return await transport.request(name, payload[0]);
      } catch (e) {
        return { ok: false, error: { code: 'transport', message: errorMessage(e) } };
      }
    },
    on: (name, listener) => {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener);
      unsubscribe ??= transport.subscribe(deliver);
      return () => {
        set.delete(listener);
        if ([...listeners.values()].every((s) => s.size === 0)) {
          unsubscribe?.();
          unsubscribe = undefined;
        }
      };
    },
  };
}
