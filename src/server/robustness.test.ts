/**
 * Every client error through the HTTP transport is a 4xx with a code and a message naming
 * the file or field, never a 500 `internal`: malformed paths, SQLite files that are not
 * indexes, generation past the model's positions, steering values past their bound; and
 * large imports at once cost the memory of one.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createCore, type Core } from '../core/host/core.ts';
import { openDatabase } from '../core/kernel/sqlite.ts';
import { STEER_VALUE_MAX } from '#shared/steer-bounds.ts';
import type { SteerSession } from '#shared/steer-types.ts';
import { largeBodyLimits, startServeHost, type ServeHost } from './server.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const demo = path.resolve(here, '../../resources/demo');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-serve-robust-'));
const data = path.join(tmp, 'data');
let core: Core;
let server: ServeHost;

before(async () => {
  core = createCore({ host: 'serve', data: { flag: data } });
  const opened = await core.request('workspace.open', { model: path.join(demo, 'model'), sae: path.join(demo, 'sae') });
  assert.ok(opened.ok, JSON.stringify(opened));
  server = await startServeHost({ core, port: 0, rendererDir: path.join(tmp, 'renderer') });
});
after(async () => {
  await server.close();
  await core.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** A raw request to `host` carrying its token. */
function raw(
  host: { port: number; token: string },
  requestPath: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: host.port,
        method: 'POST',
        path: requestPath,
        headers: { Host: `127.0.0.1:${host.port}`, Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json', ...headers },
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

/** POST /api/<name> with a JSON payload; the reply parsed. */
async function post(
  name: string,
  payload: unknown,
): Promise<{ status: number; ok: boolean; value?: unknown; error?: { code: string; message: string } }> {
  const r = await raw(server, `/api/${name}`, JSON.stringify(payload));
  return { status: r.status, ...(JSON.parse(r.body) as { ok: boolean }) };
}

/** A steering session once its run has ended (polled through session.get). */
async function ended(id: string): Promise<SteerSession> {
  for (let i = 0; i < 600; i++) {
    const r = await post('session.get', { id });
    const s = r.value as SteerSession;
    if (s.state !== 'running') return s;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`session ${id} is still running`);
}

/** A 4xx reply with `code` whose message matches `words`. */
function refused(r: Awaited<ReturnType<typeof post>>, status: number, code: string, words: RegExp): void {
  assert.equal(r.status, status, JSON.stringify(r));
  assert.equal(r.error?.code, code);
  assert.match(r.error?.message ?? '', words);
}

test('a malformed %-escape in an API path is a 400, not a 500 with a stack trace', async () => {
  for (const p of ['/api/%E0%A4%A', '/api/index.status%', '/api/%']) {
    const r = await raw(server, p, '{}');
    assert.equal(r.status, 400, p);
    const reply = JSON.parse(r.body) as { ok: false; error: { code: string; message: string } };
    assert.equal(reply.error.code, 'bad_request');
    assert.match(reply.error.message, /malformed %-escape in the request path/);
    assert.ok(!r.body.includes('    at '), 'no stack trace');
  }
  // a malformed cookie is no token (401), not a crash
  const cookie = await raw({ port: server.port, token: '' }, '/api/jobs.list', '{}', {
    Authorization: '',
    Cookie: 'sae_explorer_token=%E0%A4%A',
  });
  assert.equal(cookie.status, 401);
});

describe('SQLite files that cannot be indexes', () => {
  const indexes = path.join(data, 'indexes');
  before(() => {
    fs.mkdirSync(path.join(indexes, 'folder.sqlite'), { recursive: true });
    fs.writeFileSync(path.join(indexes, 'notes.sqlite'), 'plain text, not a database\n'.repeat(100));
    const other = openDatabase(path.join(indexes, 'other.sqlite'));
    other.exec('create table t (x)');
    other.close();
  });

  test('index.status and feature.get answer 400 naming the file, never 500 internal', async () => {
    const cases: [string, RegExp][] = [
      ['notes.sqlite', /notes\.sqlite is not an SQLite database \(file is not a database\)/],
      ['folder.sqlite', /folder\.sqlite is a folder, not a database file/],
      ['other.sqlite', /other\.sqlite is a SQLite database of another application \(tables t\)/],
    ];
    for (const [name, words] of cases) {
      refused(await post('index.status', { db: name }), 400, 'bad_request', words);
      refused(await post('feature.get', { db: path.join(indexes, name), id: 0 }), 400, 'bad_request', words);
    }
    refused(await post('index.status', { db: 'missing.sqlite' }), 404, 'not_found', /missing\.sqlite/);
    const listed = await post('index.list', {});
    assert.equal(listed.status, 200, 'files that are not indexes are left out of the list');
  });
});

describe('generation bounds (the demo model has 256 positions)', () => {
  test("steer.run past the model's positions is a 400 saying what to lower, not an ONNX Runtime error", async () => {
    const r = await post('steer.run', { prompt: 'The cat sat', interventions: [], settings: { maxNewTokens: 512 } });
    refused(
      r,
      400,
      'bad_request',
      /the prompt is \d+ tokens and 512 new tokens would pass the model's 256 positions: lower max new tokens to \d+/,
    );
    assert.ok(!r.error!.message.includes('Gather') && !r.error!.message.includes('\u001b['));
  });

  test('steering values past the bound are a 400 on the steering request, and no session is saved', async () => {
    const before = await post('session.list', {});
    for (const [mode, value] of [
      ['clamp', 1e39],
      ['add', 1e308],
      ['scale', -2e6],
    ] as const) {
      const iv = { feature: 3, mode, value };
      refused(
        await post('steer.run', { prompt: 'The cat', interventions: [iv] }),
        400,
        'bad_request',
        /interventions\.0\.value: a steering value must be [≤≥]/,
      );
    }
    assert.deepEqual(await post('session.list', {}), before);
    // the bound itself is fine, and gives finite log-probabilities
    const fine = await post('steer.run', {
      prompt: 'The cat',
      interventions: [{ feature: 3, mode: 'clamp', value: STEER_VALUE_MAX }],
      settings: { maxNewTokens: 3, stopAtEos: false },
    });
    assert.equal(fine.status, 200, JSON.stringify(fine));
    const session = await ended((fine.value as { session: { id: string } }).session.id);
    assert.equal(session.state, 'done', session.error ?? '');
    const steered = session.outputs.steered;
    assert.equal(steered.ids.length, 3);
    // a run saves a non-finite log-probability as -1e30: every one here is a real one
    assert.ok(steered.logprobs.every((l) => Number.isFinite(l) && l > -1e29));
  });
});

describe('annotation.import bodies', () => {
  test('its body limit is sized to its content limit, far below 100 MB; a larger body is a 413 naming the limit', async () => {
    const limit = largeBodyLimits['annotation.import']!;
    assert.ok(limit < 70 * 1024 * 1024, `limit ${limit}`);
    const r = await raw(server, '/api/annotation.import', '{"content":"', { 'Content-Length': String(limit + 1) });
    assert.equal(r.status, 413);
    assert.match(r.body, new RegExp(`request body is larger than ${limit} bytes`));
  });

  test('four large imports at once are handled one at a time: all answer, and the host stays far below 1 GB', async (t) => {
    if (process.platform !== 'linux') return t.skip('peak memory is read from /proc');
    const childData = path.join(tmp, 'child-data');
    const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'testdata', 'serve-child.ts'), childData], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const host = await new Promise<{ url: string; token: string }>((resolve, reject) => {
        let out = '';
        proc.stdout!.setEncoding('utf8').on('data', (c: string) => {
          out += c;
          if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as { url: string; token: string });
        });
        proc.once('exit', (code) => reject(new Error(`the serve child exited (${code})`)));
      });
      const target = { port: Number(new URL(host.url).port), token: host.token };
      const exported = JSON.parse((await raw(target, '/api/annotation.export', '{"format":"json"}')).body) as {
        value: { content: string };
      };
      const file = JSON.parse(exported.value.content) as Record<string, unknown>;
      // 1,536 features × 24,000 characters of notes: a 37 MB file, 37 MB bodies
      const notes = 'n'.repeat(24_000);
      const content = JSON.stringify({
        ...file,
        annotations: Array.from({ length: 1536 }, (_, feature) => ({ feature, label: `f${feature}`, notes })),
      });
      const body = JSON.stringify({ content, dryRun: true });
      assert.ok(body.length > 36e6);
      const peakMb = (): number => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1]) / 1024;
      const check = (r: Answer): void => {
        assert.equal(r.status, 200, r.body.slice(0, 300));
        assert.equal((JSON.parse(r.body) as { value: { added: number } }).value.added, 1536);
      };
      check(await raw(target, '/api/annotation.import', body));
      const one = peakMb();
      const replies = await Promise.all(Array.from({ length: 4 }, () => raw(target, '/api/annotation.import', body)));
      replies.forEach(check);
      const four = peakMb();
      t.diagnostic(`peak resident memory of the host: ${Math.round(one)} MB after one import, ${Math.round(four)} MB after four at once`);
      assert.ok(four < 1024, `peak ${Math.round(four)} MB`);
      // one at a time: four at once cost about what one costs (handled together they took ~1.8×)
      assert.ok(four < one * 1.3 + 32, `four at once peaked at ${Math.round(four)} MB, one alone at ${Math.round(one)} MB`);
    } finally {
      proc.kill('SIGKILL');
    }
  });
});
