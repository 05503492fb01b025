import { useEffect, useState } from 'react';
import type { PayloadArgs } from '#shared/api.ts';
import type { PayloadInput, RequestName, ResultOf } from '#shared/contract.ts';
import type { ReplyError } from '#shared/reply.ts';
import { useApi } from '../../../api/api-context.tsx';

/** A request whose last answer stays on screen while the next one runs, tagged with the payload it answers. */
export interface LatestRequest<K extends RequestName> {
  /** The newest answer so far (maybe for an older payload), or null. */
  readonly value: ResultOf<K> | null;
  /** The payload `value` answers. */
  readonly answered: PayloadInput<K> | null;
  /** True while the answer for the current payload is on its way. */
  readonly loading: boolean;
  readonly error: ReplyError | null;
  readonly reload: () => void;
}

/**
 * Like useRequest, but keeps the previous answer while a new payload is asked (no flash
 * when the user changes a span or an option) and says which payload it answers.
 */
export function useLatestRequest<K extends RequestName>(name: K, ...payload: PayloadArgs<K>): LatestRequest<K> {
  const api = useApi();
  const key = JSON.stringify(payload[0] ?? null);
  const [answer, setAnswer] = useState<{ key: string; payload: PayloadInput<K> | null; value: ResultOf<K> } | null>(null);
  const [failure, setFailure] = useState<{ key: string; error: ReplyError } | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let live = true;
    const args = (key === 'null' ? [] : [JSON.parse(key)]) as PayloadArgs<K>;
    void api.request(name, ...args).then((reply) => {
      if (!live) return;
      if (reply.ok) {
        setAnswer({ key, payload: args[0] ?? null, value: reply.value });
        setFailure(null);
      } else setFailure({ key, error: reply.error });
    });
    return () => {
      live = false;
    };
  }, [api, name, key, generation]);

  const error = failure?.key === key ? failure.error : null;
  return {
    value: answer?.value ?? null,
    answered: answer?.payload ?? null,
    loading: answer?.key !== key && error === null,
    error,
    reload: () => setGeneration((g) => g + 1),
  };
}
