import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AppError } from '#shared/reply.ts';
import { OpenAiExplainer } from './openai.ts';
import { answer, mockServer, type MockServer } from '#testing/autointerp/test-support.ts';

const hello = [{ role: 'user', content: 'hello' }] as const;

describe('OpenAI-compatible explainer against a local chat-completions server', () => {
  let server: MockServer;
  before(async () => {
    server = await mockServer((b, _n, res) => answer(res, `echo ${b.messages[0]?.content ?? ''}`, b.stream));
  });
  after(() => server.close());

  const reset = (): void => {
    Object.assign(server.stats, { requests: 0, maxInFlight: 0, auth: [] });
  };

  test('streams the answer as SSE pieces and joins them; sends the key as a bearer token', async () => {
    reset();
    server.handler = (b, _n, res) => answer(res, `echo ${b.messages[0]?.content ?? ''} (stream ${b.stream})`, b.stream);
    const pieces: string[] = [];
    const x = new OpenAiExplainer({ endpoint: server.url, model: 'm', apiKey: 'sk-test' });
    const text = await x.complete(hello, { onText: (p) => pieces.push(p) });
    assert.equal(text, 'echo hello (stream true)');
    assert.ok(pieces.length > 1, 'several pieces arrived');
    assert.equal(pieces.join(''), text);
    assert.deepEqual(server.stats.auth, ['Bearer sk-test']);
  });

  test('reads a plain JSON answer when not streaming', async () => {
    reset();
    const x = new OpenAiExplainer({ endpoint: `${server.url}/`, model: 'm', stream: false });
    assert.equal(await x.complete(hello), 'echo hello (stream false)');
    assert.deepEqual(server.stats.auth, [undefined]);
  });

  test('retries 429 and 5xx with backoff, then succeeds', async () => {
    reset();
    const times: number[] = [];
    server.handler = (b, n, res) => {
      times.push(Date.now());
      if (n === 0) return void res.writeHead(429).end();
      if (n === 1) return void res.writeHead(503).end();
      answer(res, 'finally', b.stream);
    };
    const x = new OpenAiExplainer({ endpoint: server.url, model: 'm', backoffMs: 40 });
    assert.equal(await x.complete(hello), 'finally');
    assert.equal(server.stats.requests, 3);
    assert.ok(times[1]! - times[0]! >= 35, `first backoff ${times[1]! - times[0]!} ms`);
    assert.ok(times[2]! - times[1]! >= 75, `second backoff doubled: ${times[2]! - times[1]!} ms`);
  });

  test('a dropped stream and malformed JSON are retried', async () => {
    reset();
    server.handler = (b, n, res) => {
      if (n === 0) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: 'half' } }] })}\n\n`);
        return void res.socket?.destroy();
      }
      if (n === 1) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end('{not json');
      }
      answer(res, 'whole', b.stream);
    };
    const x = new OpenAiExplainer({ endpoint: server.url, model: 'm', backoffMs: 1 });
    assert.equal(await x.complete(hello), 'whole');
    assert.equal(server.stats.requests, 3);
  });

  test('gives up after the retries with a clear error; a 4xx is not retried', async () => {
    reset();
    server.handler = (_b, _n, res) => void res.writeHead(500).end();
    const x = new OpenAiExplainer({ endpoint: server.url, model: 'm', retries: 2, backoffMs: 1 });
    await assert.rejects(
      x.complete(hello),
      (e: unknown) => e instanceof AppError && e.code === 'unavailable' && /HTTP 500.*3 attempts/.test(e.message),
    );
    assert.equal(server.stats.requests, 3);
    reset();
    server.handler = (_b, _n, res) => void res.writeHead(401).end('bad key');
    await assert.rejects(x.complete(hello), /HTTP 401 bad key/);
    assert.equal(server.stats.requests, 1);
  });

  test('times out a server that never answers', async () => {
    reset();
    server.handler = () => undefined; // never answers
    const x = new OpenAiExplainer({ endpoint: server.url, model: 'm', timeoutMs: 150, retries: 1, backoffMs: 1 });
    const t0 = Date.now();
    await assert.rejects(x.complete(hello), /no complete answer within 150 ms.*2 attempts/);
    assert.equal(server.stats.requests, 2);
    assert.ok(Date.now() - t0 >= 290);
  });

  test('keeps at most `concurrency` requests in flight, as the server observes', async () => {
    reset();
    server.handler = (b, _n, res) => void setTimeout(() => answer(res, 'ok', b.stream), 60);
    const x = new OpenAiExplainer({ endpoint: server.url, model: 'm', concurrency: 2 });
    const all = await Promise.all(Array.from({ length: 7 }, () => x.complete(hello)));
    assert.deepEqual(all, Array(7).fill('ok'));
    assert.equal(server.stats.requests, 7);
    assert.equal(server.stats.maxInFlight, 2);
  });

  test('a bad endpoint or missing model is a clear error', () => {
    assert.throws(() => new OpenAiExplainer({ endpoint: 'localhost:8080', model: 'm' }), /not an endpoint URL/);
    assert.throws(() => new OpenAiExplainer({ endpoint: 'ftp://x/v1', model: 'm' }), /not an endpoint URL: "ftp/);
    assert.throws(() => new OpenAiExplainer({ endpoint: server.url, model: '' }), /needs a model name/);
  });
});
