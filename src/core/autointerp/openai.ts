import type { ExplainerMessage } from '#shared/autointerp-types.ts';
import { AppError } from '#shared/reply.ts';
import type { CompleteOptions, Explainer } from './explainer.ts';
import { Limiter } from './limit.ts';

/** How an OpenAI-compatible chat-completions endpoint is called. */
export interface OpenAiOptions {
  /** The API base, e.g. `http://127.0.0.1:8080/v1` (`/chat/completions` is appended). */
  readonly endpoint: string;
  readonly model: string;
  readonly apiKey?: string | null;
  /** Per-attempt limit in ms, the whole streamed answer included (default 120 s). */
  readonly timeoutMs?: number;
  /** Further attempts after a 429, a 5xx, a timeout or a dropped stream (default 4). */
  readonly retries?: number;
  /** First backoff in ms, doubled each retry (default 500); a `Retry-After` header wins. */
  readonly backoffMs?: number;
  /** Requests in flight at once (default 4). */
  readonly concurrency?: number;
  readonly maxTokens?: number;
  readonly temperature?: number;
  /** Ask for server-sent events (default true). */
  readonly stream?: boolean;
}

/** A failure worth another attempt. */
class Retryable extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

/** Waits `ms`, or rejects once `signal` aborts; the listener goes when the wait ends (a job's signal sees many waits). */
const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new AppError('cancelled', 'cancelled'));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** The chat-completions URL of an API base; a bad URL is a clear error. */
export function completionsUrl(endpoint: string): string {
  const bad = new AppError(
    'bad_request',
    `not an endpoint URL: ${JSON.stringify(endpoint)} (expected an http(s) API base, e.g. http://127.0.0.1:8080/v1)`,
  );
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw bad;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad;
  return `${url.href.replace(/\/+$/, '')}/chat/completions`;
}

/** The text of a non-streamed answer. */
function messageText(body: unknown): string {
  const choice = (body as { choices?: { message?: { content?: unknown } }[] } | null)?.choices?.[0];
  const content = choice?.message?.content;
  if (typeof content !== 'string') throw new Retryable('the endpoint answered without choices[0].message.content');
  return content;
}

/** Reads an SSE stream of chat-completion chunks, calling `onText` per delta; throws Retryable when it ends before `[DONE]`. */
async function readStream(body: ReadableStream<Uint8Array>, onText: ((s: string) => void) | undefined): Promise<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  let text = '';
  let done = false;
  let finished = false;
  const line = (l: string): void => {
    if (!l.startsWith('data:')) return;
    const data = l.slice(5).trim();
    if (data === '[DONE]') {
      done = true;
      return;
    }
    let chunk: { choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[] };
    try {
      chunk = JSON.parse(data) as typeof chunk;
    } catch {
      throw new Retryable(`the endpoint streamed malformed JSON: ${data.slice(0, 80)}`);
    }
    const c = chunk.choices?.[0];
    if (typeof c?.delta?.content === 'string' && c.delta.content) {
      text += c.delta.content;
      onText?.(c.delta.content);
    }
    if (typeof c?.finish_reason === 'string') finished = true;
  };
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      line(buffer.slice(0, nl).replace(/\r$/, ''));
      buffer = buffer.slice(nl + 1);
    }
  }
  if (buffer) line(buffer);
  if (!done && !finished) throw new Retryable('the stream ended before [DONE]');
  return text;
}

/** An explainer behind any OpenAI-compatible `/chat/completions` (llama.cpp, Ollama, vLLM, LM Studio, hosted). */
export class OpenAiExplainer implements Explainer {
  readonly model: string;
  readonly #url: string;
  readonly #limiter: Limiter;

  constructor(readonly opts: OpenAiOptions) {
    this.#url = completionsUrl(opts.endpoint);
    if (!opts.model) throw new AppError('bad_request', 'an endpoint explainer needs a model name');
    this.model = opts.model;
    this.#limiter = new Limiter(opts.concurrency ?? 4);
  }

  complete(messages: readonly ExplainerMessage[], opts: CompleteOptions = {}): Promise<string> {
    return this.#limiter.run(async () => {
      const retries = this.opts.retries ?? 4;
      let backoff = this.opts.backoffMs ?? 500;
      for (let attempt = 0; ; attempt++) {
        try {
          return await this.#attempt(messages, opts);
        } catch (e) {
          if (!(e instanceof Retryable) || opts.signal?.aborted) throw e;
          if (attempt >= retries) throw new AppError('unavailable', `${this.#url}: ${e.message} (gave up after ${attempt + 1} attempts)`);
          await sleep(e.retryAfterMs ?? backoff, opts.signal);
          backoff *= 2;
        }
      }
    });
  }

  async #attempt(messages: readonly ExplainerMessage[], opts: CompleteOptions): Promise<string> {
    const stream = this.opts.stream ?? true;
    const timeoutMs = this.opts.timeoutMs ?? 120_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.opts.apiKey) headers['authorization'] = `Bearer ${this.opts.apiKey}`;
    const body = JSON.stringify({
      model: this.model,
      messages,
      stream,
      temperature: this.opts.temperature ?? 0,
      ...(this.opts.maxTokens ? { max_tokens: this.opts.maxTokens } : {}),
    });
    try {
      const res = await fetch(this.#url, { method: 'POST', headers, body, signal });
      if (res.status === 429 || res.status >= 500) {
        const after = Number(res.headers.get('retry-after'));
        await res.body?.cancel();
        throw new Retryable(`HTTP ${res.status}`, Number.isFinite(after) && after > 0 ? after * 1000 : null);
      }
      if (!res.ok) {
        const text = (await res.text()).slice(0, 200);
        throw new AppError('bad_request', `${this.#url} refused the request: HTTP ${res.status} ${text}`);
      }
      if (stream && (res.headers.get('content-type') ?? '').includes('text/event-stream') && res.body) {
        return await readStream(res.body, opts.onText);
      }
      let json: unknown;
      try {
        json = await res.json();
      } catch {
        throw new Retryable('the endpoint answered with malformed JSON');
      }
      const text = messageText(json);
      opts.onText?.(text);
      return text;
    } catch (e) {
      if (opts.signal?.aborted) throw new AppError('cancelled', 'cancelled');
      if (timeout.aborted) throw new Retryable(`no complete answer within ${timeoutMs} ms`);
      if (e instanceof Retryable || e instanceof AppError) throw e;
      // connection refused or reset, a dropped stream
      throw new Retryable((e as Error).message);
    }
  }
}
