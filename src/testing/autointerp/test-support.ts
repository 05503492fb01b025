/** Test helpers of autointerp: a small index of the demo, and a local chat-completions server. */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import type { ExplainerMessage } from '#shared/autointerp-types.ts';
import { runIndex } from '../../core/index/indexer.ts';
import { repoRoot } from '../fixtures.ts';
import type { FeatureContexts } from '../../core/autointerp/examples.ts';
import { contextText, markText } from '../../core/autointerp/prompts.ts';

export const demoDir = path.join(repoRoot, 'resources', 'demo');

/** Indexes the first `docs` documents of the demo corpus into `<tmp>/index.sqlite`; answers its path. */
export async function demoIndex(tmp: string, docs = 80): Promise<string> {
  const corpus = path.join(tmp, 'corpus.jsonl');
  const lines = fs.readFileSync(path.join(demoDir, 'corpus.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, docs);
  fs.writeFileSync(corpus, `${lines.join('\n')}\n`);
  const db = path.join(tmp, 'index.sqlite');
  const r = await runIndex({
    model: path.join(demoDir, 'model'),
    sae: path.join(demoDir, 'sae'),
    cacheDir: path.join(tmp, 'graph-cache'),
    corpus,
    db,
    batch: 8,
  });
  if (!r.complete) throw new Error('the demo index did not complete');
  return db;
}

/** The numbered examples of a round's user message (`Example i: text`), in order. */
export function roundItems(messages: readonly ExplainerMessage[]): string[] {
  const user = messages.find((m) => m.role === 'user')?.content ?? '';
  return [...user.matchAll(/^Example \d+: (.*)$/gm)].map((m) => m[1] ?? '');
}

/**
 * An answer from the ground truth: explanation requests get a fixed explanation; a
 * detection round says 1 exactly for the activating contexts, a fuzzing round 1 exactly
 * for the contexts marked on their activating tokens.
 */
export function oracleAnswer(messages: readonly ExplainerMessage[], c: FeatureContexts): string {
  const system = messages.find((m) => m.role === 'system')?.content ?? '';
  const items = roundItems(messages);
  if (system.includes('[EXPLANATION]')) return `Thinking...\n[EXPLANATION]: oracle text of feature ${c.feature}`;
  if (system.includes('fires anywhere')) {
    const act = new Set(c.activating.map((e) => contextText(e.tokens)));
    return `[${items.map((t) => (act.has(t) ? 1 : 0)).join(', ')}]`;
  }
  const right = new Set(c.activating.map((e) => markText({ tokens: e.tokens, marked: e.values.map((v) => v > 0) })));
  return `[${items.map((t) => (right.has(t) ? 1 : 0)).join(', ')}]`;
}

/** What a scripted server does with one request: its body, and the number of the request (from 0). */
export type Handler = (
  body: { messages: ExplainerMessage[]; stream?: boolean; model: string },
  n: number,
  res: http.ServerResponse,
) => void | Promise<void>;

/** A chat-completions server on 127.0.0.1 that counts requests and the most in flight at once. */
export interface MockServer {
  readonly url: string;
  readonly stats: { requests: number; inFlight: number; maxInFlight: number; auth: (string | undefined)[] };
  handler: Handler;
  close(): Promise<void>;
}

/** Writes an answer as JSON or, when the request streamed, as SSE chunks of a few characters. */
export function answer(res: http.ServerResponse, text: string, stream: boolean | undefined): void {
  if (!stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }] }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (let i = 0; i < text.length; i += 5) {
    res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text.slice(i, i + 5) } }] })}\n\n`);
  }
  res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
  res.end('data: [DONE]\n\n');
}

export async function mockServer(handler: Handler): Promise<MockServer> {
  const stats = { requests: 0, inFlight: 0, maxInFlight: 0, auth: [] as (string | undefined)[] };
  const sockets = new Set<Socket>();
  const self: MockServer = {
    url: '',
    stats,
    handler,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      const n = stats.requests++;
      stats.auth.push(req.headers.authorization);
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      res.on('close', () => stats.inFlight--);
      void Promise.resolve(self.handler(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Parameters<Handler>[0], n, res));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(self, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` });
}
