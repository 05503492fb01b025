/**
 * Fuzz: malformed payloads for every request of the contract, through the HTTP transport
 * with the token, from a seeded generator (SAE_FUZZ_SEED picks another seed; a failure
 * names the seed, the request and the payload). Payloads are shaped by each request's own
 * schema and then broken (wrong types, values out of range, unknown and prototype keys,
 * path tricks, huge and odd strings), plus raw bodies the JSON layer must refuse. No
 * answer may be a 500 or an `internal` error, and the host answers normally afterwards.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { createCore, type Core } from '../core/host/core.ts';
import { seededRandom } from '../core/util/random.ts';
import { requests } from '#shared/contract.ts';
import { startServeHost, type ServeHost } from './server.ts';

const SEED = Number(process.env['SAE_FUZZ_SEED'] ?? 20250115);
/** Structured cases over all requests (raw-body cases come on top). */
const CASES = 1200;

const demo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../resources/demo');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-fuzz-'));
const saved = { ...process.env };
let core: Core;
let server: ServeHost;
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

before(async () => {
  // nothing may leave this machine: the hub is offline and its address dead
  Object.assign(process.env, {
    HF_HUB_OFFLINE: '1',
    HF_ENDPOINT: 'http://127.0.0.1:9',
    HF_HUB_CACHE: path.join(tmp, 'hf-cache'),
    HF_HOME: path.join(tmp, 'hf-home'),
  });
  core = createCore({ host: 'serve', data: { flag: path.join(tmp, 'data') } });
  // an open workspace (the demo's model and SAE, no corpus: nothing to index) lets payloads reach the engine
  const opened = await core.request('workspace.open', { model: path.join(demo, 'model'), sae: path.join(demo, 'sae') });
  assert.ok(opened.ok, JSON.stringify(opened));
  server = await startServeHost({ core, port: 0, rendererDir: path.join(tmp, 'renderer') });
});
after(async () => {
  agent.destroy();
  await server.close();
  await core.jobs.cancelAll();
  await core.close();
  process.env = saved;
  fs.rmSync(tmp, { recursive: true, force: true });
});

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const NUMBERS = [
  0,
  -0,
  1,
  -1,
  2,
  0.5,
  -0.5,
  3,
  7,
  8,
  255,
  256,
  512,
  1024,
  1535,
  1536,
  4095,
  4096,
  65_536,
  100_000_000,
  2 ** 31,
  2 ** 53 + 2,
  3.4e38,
  1e39,
  1e308,
  -1e308,
  5e-324,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
];

function strings(): string[] {
  return [
    '',
    ' ',
    'a',
    'The cat sat on the mat',
    '.',
    '..',
    '/',
    '/etc/passwd',
    '../../../../etc/passwd',
    '~/.ssh/id_rsa',
    'C:\\Windows\\system32',
    '\\\\server\\share',
    'file:///etc/passwd',
    '%',
    '%E0%A4%A',
    '%2e%2e%2f',
    '\u0000',
    'a\u0000b',
    '\ud800',
    '🙂'.repeat(50),
    'x'.repeat(30_000),
    '<script>alert(1)</script>',
    "' or 1=1 --",
    '"; drop table annotations; --',
    '__proto__',
    'constructor',
    'NaN',
    '1e999',
    '-1',
    'true',
    'null',
    'org/name',
    'jbloom/GPT2-Small-SAEs-Reformatted',
    'gpt2-small/8-res-jb',
    'blocks.0.hook_resid_post',
    'index-1-abc',
    'main',
    'indexes/../../x.sqlite',
    'x.sqlite',
    'demo.sqlite',
    path.join(demo, 'model'),
    path.join(demo, 'sae'),
    path.join(demo, 'model', 'config.json'),
    path.join(tmp, 'data'),
    path.join(tmp, 'data', 'annotations.sqlite'),
  ];
}
const STRINGS = strings();

/** Any JSON value, small. */
function junk(r: Rand, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 2 ? 4 : 7));
  if (k === 0) return null;
  if (k === 1) return r() < 0.5;
  if (k === 2) return pick(r, NUMBERS);
  if (k === 3) return pick(r, STRINGS);
  if (k === 4) return Array.from({ length: Math.floor(r() * 4) }, () => junk(r, depth + 1));
  if (k === 5) return oddObject(r, depth);
  return r() < 0.5 ? [] : {};
}

/** An object with odd keys (prototype names included, as own properties). */
function oddObject(r: Rand, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    Object.defineProperty(o, pick(r, ['__proto__', 'constructor', 'prototype', 'toString', 'x', '', '0']), {
      value: junk(r, depth + 1),
      enumerable: true,
      configurable: true,
      writable: true,
    });
  }
  return o;
}

interface Def {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly innerType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly entries?: Record<string, string>;
  readonly values?: readonly unknown[];
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** A value shaped like `schema`, usually broken somewhere below. */
function shaped(schema: z.ZodType, r: Rand, depth = 0): unknown {
  const def = defOf(schema);
  // now and then anything at all in its place
  if (r() < (depth === 0 ? 0.08 : 0.15)) return junk(r, depth);
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'nullable':
      if (r() < 0.2) return def.type === 'nullable' ? null : undefined;
      return shaped(def.innerType!, r, depth);
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(def.shape ?? {})) {
        if (r() < 0.85) o[key] = shaped(child, r, depth + 1);
      }
      if (r() < 0.1) Object.assign(o, oddObject(r, depth));
      if (r() < 0.05) o[pick(r, ['extra', 'db', 'path', 'file'])] = junk(r, depth + 1);
      return o;
    }
    case 'array': {
      const n = r() < 0.05 ? 200 : Math.floor(r() * 4);
      return Array.from({ length: n }, () => (depth > 4 ? junk(r, depth) : shaped(def.element!, r, depth + 1)));
    }
    case 'union':
      return shaped(pick(r, def.options!), r, depth);
    case 'enum':
      return r() < 0.7 ? pick(r, Object.values(def.entries ?? {})) : pick(r, STRINGS);
    case 'literal':
      return r() < 0.7 ? pick(r, def.values ?? [null]) : junk(r, depth);
    case 'string':
      return pick(r, STRINGS);
    case 'number':
      return r() < 0.9 ? pick(r, NUMBERS) * (r() < 0.5 ? 1 : Math.floor(r() * 3)) : pick(r, STRINGS);
    case 'boolean':
      return r() < 0.8 ? r() < 0.5 : pick(r, [0, 1, 'true', null]);
    default:
      return junk(r, depth);
  }
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

function send(requestPath: string, body: string | Buffer, headers: Record<string, string> = {}, method = 'POST'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port: server.port,
        method,
        path: requestPath,
        headers: {
          Host: `127.0.0.1:${server.port}`,
          Authorization: `Bearer ${server.token}`,
          'Content-Type': 'application/json',
          // framed on every method (Node sends a GET's body unframed otherwise)
          'Content-Length': String(Buffer.byteLength(body)),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** What went wrong with one answer, or null when it is a well-formed non-500 reply. */
function problem(a: Answer): string | null {
  if (a.status === 0) return a.body;
  if (a.status >= 500 && a.status !== 503) return `status ${a.status}`;
  let reply: unknown;
  try {
    reply = JSON.parse(a.body);
  } catch {
    return `not JSON: ${a.body.slice(0, 120)}`;
  }
  if (!reply || typeof reply !== 'object' || !('ok' in reply)) return 'not a Reply';
  if (reply.ok === false) {
    const error = (reply as { error?: { code?: string; message?: string } }).error;
    if (error?.code === 'internal') return `internal: ${error.message}`;
    if (!error?.code || !error.message) return 'an error without code or message';
    if (a.status < 400) return `error code ${error.code} with status ${a.status}`;
  }
  return null;
}

test(`${CASES}+ malformed payloads over every request: no 500, no internal error, the host alive afterwards (seed ${SEED})`, async (t) => {
  const t0 = performance.now();
  const r = seededRandom(SEED);
  const names = Object.keys(requests) as (keyof typeof requests)[];
  const failures: string[] = [];
  let count = 0;
  const statuses = new Map<number, number>();
  const record = (what: string, payload: string, a: Answer): void => {
    count++;
    statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    const p = problem(a);
    if (p) failures.push(`${what} ${payload.slice(0, 200)} → ${p}`);
  };

  const perRequest = Math.ceil(CASES / names.length);
  for (let round = 0; round < perRequest; round++) {
    for (const name of names) {
      const payload = shaped(requests[name].payload as z.ZodType, r);
      const body = JSON.stringify(payload) ?? '';
      const answer = await send(`/api/${name}`, body).catch((e: unknown) => ({ status: 0, body: `transport failed: ${String(e)}` }));
      record(name, body, answer);
      // a steering run the fuzz started must not hold the engine for the next ones
      await core.jobs.cancelAll();
    }
  }

  // raw bodies and paths the transport itself must refuse cleanly
  const deep = '['.repeat(20_000) + ']'.repeat(20_000);
  const raw: [string, string | Buffer, Record<string, string>?, string?][] = [
    ['/api/app.status', '{'],
    ['/api/app.status', '{"a":}'],
    ['/api/app.status', 'null'],
    ['/api/app.status', '"just a string"'],
    ['/api/app.status', '[1,2,3]'],
    ['/api/app.status', Buffer.from([0xff, 0xfe, 0x7b, 0x7d])],
    ['/api/app.status', '{}', { 'Content-Type': 'text/plain' }],
    ['/api/app.status', '{}', { 'Content-Type': 'application/x-www-form-urlencoded' }],
    ['/api/app.status', '{}', {}, 'GET'],
    ['/api/app.status', '{}', {}, 'PUT'],
    ['/api/index.status', deep],
    ['/api/annotation.set', `{"feature":1,"notes":${JSON.stringify('n'.repeat(2_000_000))}}`],
    ['/api/no.such.request', '{}'],
    ['/api/constructor', '{}'],
    ['/api/__proto__', '{}'],
    ['/api/hasOwnProperty', '{}'],
    ['/api/%E0%A4%A', '{}'],
    ['/api/%', '{}'],
    ['/api/..%2f..%2fetc%2fpasswd', '{}'],
    ['/api/', '{}'],
    ['/api', '{}'],
    ['/api/jobs.cancel', '{"job":"x","job":"y"}'],
    ['/api/feature.get', '{"db":"x.sqlite","id":1e400}'],
  ];
  for (const [p, body, headers, method] of raw) {
    const a = await send(p, body, headers ?? {}, method).catch((e: unknown) => ({ status: 0, body: `transport failed: ${String(e)}` }));
    count++;
    // a transport refusal may be a JSON reply or (wrong method on a page) plain text; never a 500
    if (a.status >= 500 || a.status === 0)
      failures.push(`${method ?? 'POST'} ${p} ${String(body).slice(0, 80)} → status ${a.status}: ${a.body.slice(0, 200)}`);
  }

  t.diagnostic(
    `answers by status: ${[...statuses]
      .sort((x, y) => x[0] - y[0])
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')}`,
  );
  assert.ok(count >= 1000, `${count} cases`);
  assert.ok((statuses.get(200) ?? 0) > 50, 'some payloads are valid, so handlers are reached too');
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} of ${count} answers failed (SAE_FUZZ_SEED=${SEED})`);
  // alive and answering as before
  const status = await send('/api/app.status', '{}');
  assert.equal(status.status, 200);
  const jobs = await send('/api/jobs.list', '{}');
  assert.equal(jobs.status, 200);
  const seconds = (performance.now() - t0) / 1000;
  assert.ok(seconds < 120, `the fuzz took ${seconds.toFixed(1)} s`);
});
