import type { Transport } from '#shared/api.ts';
import type { AppEvent } from '#shared/contract.ts';
import type { Reply } from '#shared/reply.ts';
import { errorMessage } from '#shared/error-message.ts';

/**
 * The contract over the serve host: `POST /api/<request>` with a JSON body, and one
 * EventSource on `/api/events` while anyone listens. The token, when the host needs one,
 * rides in the cookie set when the page was opened with `?token=`.
 */
export function createHttpTransport(base = '/api'): Transport {
  return {
    async request(name, payload) {
      let res: Response;
      try {
        res = await fetch(`${base}/${encodeURIComponent(name)}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(payload ?? {}),
          credentials: 'same-origin',
        });
      } catch (e) {
        return transportError(`cannot reach the serve host: ${errorMessage(e)}`);
      }
      const body: unknown = await res.json().catch(() => undefined);
      // The host answers every /api request with a Reply; anything else is a proxy or a crash.
      return isReply(body) ? body : transportError(`unexpected answer from the serve host (HTTP ${res.status})`);
    },
    subscribe(listener) {
      const source = new EventSource(`${base}/events`, { withCredentials: true });
      source.onmessage = (message: MessageEvent<string>) => {
        let event: AppEvent;
        try {
          event = JSON.parse(message.data);
        } catch {
          return;
        }
        listener(event);
      };
      return () => source.close();
    },
  };
}

function isReply(v: unknown): v is Reply<never> {
  return !!v && typeof v === 'object' && 'ok' in v && typeof v.ok === 'boolean';
}

function transportError(message: string): Reply<never> {
  return { ok: false, error: { code: 'transport', message } };
}
