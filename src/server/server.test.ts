import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createCore, type Core } from '../core/host/core.ts';
import { referenceCase } from '#testing/index/test-support.ts';
import type { Annotation, AnnotationExport, AnnotationImportResult } from '#shared/annotation-types.ts';
import { DEFAULT_MAX_BODY_BYTES, startServeHost, type ServeHost, type ServeOptions } from './server.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-serve-'));
const rendererDir = path.join(tmp, 'renderer');
fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
fs.writeFileSync(path.join(rendererDir, 'assets', 'a.js'), 'export {}');
fs.writeFileSync(path.join(tmp, 'secret.txt'), 'secret');

let core: Core;
before(() => {
  core = createCore({ host: 'serve', data: { flag: path.join(tmp, 'data') } });
});
after(async () => {
  await core.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP request with full control over headers (fetch forbids setting Host). It carries
 * the host's token as a bearer header unless `token` says otherwise (false: none).
 */
function send(
  server: ServeHost,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string; token?: string | false },
): Promise<Answer> {
  const port = server.port;
  const token = opts.token ?? server.token;
  const auth: Record<string, string> = token === false ? {} : { Authorization: `Bearer ${token}` };
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path,
        headers: { Host: `127.0.0.1:${port}`, ...auth, ...opts.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const json = { 'Content-Type': 'application/json' };

describe('serve host on loopback', () => {
  let server: ServeHost;
  before(async () => {
    server = await startServeHost({ core, port: 0, rendererDir });
  });
  after(() => server.close());

  test('binds 127.0.0.1 by default, with a fresh token in the URL to open', async () => {
    assert.equal(server.host, '127.0.0.1');
    assert.equal(server.url, `http://127.0.0.1:${server.port}/`);
    assert.ok(server.token.length >= 32);
    assert.equal(server.openUrl, `${server.url}?token=${server.token}`);
    const other = await startServeHost({ core, port: 0, rendererDir });
    assert.notEqual(other.token, server.token, 'every host gets its own token');
    await other.close();
  });

  test('a request without the token is 401 on 127.0.0.1 too, for the API, the events and the page', async () => {
    const api = await send(server, { method: 'POST', path: '/api/jobs.list', headers: json, body: '{}', token: false });
    assert.equal(api.status, 401);
    const reply = JSON.parse(api.body);
    assert.equal(reply.error.code, 'unauthorized');
    assert.match(reply.error.message, /token is required.*open the URL `serve` printed/);
    // a request that would reach files is refused before core sees it
    const corpus = await send(server, {
      method: 'POST',
      path: '/api/index.start',
      headers: json,
      body: JSON.stringify({ model: '/m', sae: '/s', corpus: '/etc/passwd' }),
      token: false,
    });
    assert.equal(corpus.status, 401);
    assert.equal((await send(server, { path: '/api/events', token: false })).status, 401);
    assert.equal((await send(server, { path: '/', token: false })).status, 401);
    assert.equal((await send(server, { path: '/assets/a.js', token: false })).status, 401);
    const wrong = await send(server, { method: 'POST', path: '/api/jobs.list', headers: json, body: '{}', token: 'x'.repeat(32) });
    assert.equal(wrong.status, 401);
  });

  test('the URL to open sets the token cookie and shows the page without the token in its address', async () => {
    const open = await send(server, { path: `/?token=${server.token}&x=1`, token: false });
    assert.equal(open.status, 303);
    assert.equal(open.headers.location, '/?x=1');
    const cookie = String(open.headers['set-cookie']?.[0]);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const pair = cookie.split(';')[0] ?? '';
    assert.equal(pair, `sae_explorer_token=${server.token}`);
    const page = await send(server, { path: '/', headers: { Cookie: pair }, token: false });
    assert.equal(page.status, 200);
    const api = await send(server, {
      method: 'POST',
      path: '/api/jobs.list',
      headers: { ...json, Cookie: pair },
      body: '{}',
      token: false,
    });
    assert.equal(api.status, 200);
    // never a redirect to another site, whatever the path looks like
    const odd = await send(server, { path: `/.//evil.example/?token=${server.token}`, token: false });
    assert.equal(odd.status, 303);
    assert.equal(odd.headers.location, '/evil.example/');
    // a wrong token in the URL sets nothing
    const wrong = await send(server, { path: '/?token=nope', token: false });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers['set-cookie'], undefined);
  });

  test('POST /api/<request> answers the reply', async () => {
    const r = await send(server, { method: 'POST', path: '/api/jobs.list', headers: json, body: '{}' });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { ok: true, value: [] });
  });

  test('app.status works with an empty body', async () => {
    const r = await send(server, { method: 'POST', path: '/api/app.status', headers: json });
    assert.equal(r.status, 200);
    const reply = JSON.parse(r.body);
    assert.equal(reply.ok, true);
    assert.equal(reply.value.host, 'serve');
  });

  test('an unknown request is 404', async () => {
    const r = await send(server, { method: 'POST', path: '/api/app.nope', headers: json, body: '{}' });
    assert.equal(r.status, 404);
    assert.deepEqual(JSON.parse(r.body), { ok: false, error: { code: 'not_found', message: 'unknown request "app.nope"' } });
  });

  test('an invalid payload is 400 with a clear message', async () => {
    const r = await send(server, { method: 'POST', path: '/api/jobs.cancel', headers: json, body: '{"job":7}' });
    assert.equal(r.status, 400);
    const reply = JSON.parse(r.body);
    assert.equal(reply.error.code, 'bad_request');
    assert.match(reply.error.message, /^invalid payload for "jobs\.cancel": job: .*expected string/i);
  });

  test('malformed JSON is 400; a non-JSON content type is 415', async () => {
    const bad = await send(server, { method: 'POST', path: '/api/jobs.list', headers: json, body: '{' });
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).error.message, /not valid JSON/);
    const form = await send(server, {
      method: 'POST',
      path: '/api/jobs.list',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    assert.equal(form.status, 415);
  });

  test('bodies over the size limit are 413', async () => {
    const big = JSON.stringify({ job: 'x'.repeat(2 * 1024 * 1024) });
    const r = await send(server, { method: 'POST', path: '/api/jobs.cancel', headers: json, body: big });
    assert.equal(r.status, 413);
    assert.equal(JSON.parse(r.body).error.code, 'too_large');
  });

  test('a foreign Host header (DNS rebinding) is 403', async () => {
    const r = await send(server, {
      method: 'POST',
      path: '/api/jobs.list',
      headers: { ...json, Host: `evil.example:${server.port}` },
      body: '{}',
    });
    assert.equal(r.status, 403);
    const page = await send(server, { path: '/', headers: { Host: 'evil.example' } });
    assert.equal(page.status, 403);
  });

  test('a cross-origin POST is 403', async () => {
    const r = await send(server, {
      method: 'POST',
      path: '/api/jobs.list',
      headers: { ...json, Origin: 'http://evil.example' },
      body: '{}',
    });
    assert.equal(r.status, 403);
    const same = await send(server, {
      method: 'POST',
      path: '/api/jobs.list',
      headers: { ...json, Origin: `http://127.0.0.1:${server.port}` },
      body: '{}',
    });
    assert.equal(same.status, 200);
  });

  test('GET on a request is 405', async () => {
    const r = await send(server, { path: '/api/jobs.list' });
    assert.equal(r.status, 405);
  });

  test('serves the renderer with a strict CSP, and nothing outside it', async () => {
    const page = await send(server, { path: '/' });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline|https?:/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    const asset = await send(server, { path: '/assets/a.js' });
    assert.equal(asset.status, 200);
    assert.match(String(asset.headers['content-type']), /javascript/);
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/nope.js', '//evil.example/secret.txt']) {
      assert.equal((await send(server, { path: p })).status, 404, p);
    }
    // "//" is the app's own page (clients joining a base URL ending in "/" ask for it), not a host
    assert.equal((await send(server, { path: '//' })).status, 200);
  });

  test('GET /api/events streams an emitted event', async () => {
    const received = new Promise<unknown>((resolve, reject) => {
      const headers = { Authorization: `Bearer ${server.token}` };
      const req = http.get({ host: '127.0.0.1', port: server.port, path: '/api/events', headers }, (res) => {
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers['content-type']), /text\/event-stream/);
        let buffer = '';
        let emitted = false;
        res.setEncoding('utf8').on('data', (chunk: string) => {
          buffer += chunk;
          // The ": connected" comment means the subscription is live: emit now.
          if (buffer.includes(': connected') && !emitted) {
            emitted = true;
            core.bus.log('info', 'hello from core', 'test');
          }
          const line = buffer.split('\n').find((l) => l.startsWith('data: '));
          if (line) {
            resolve(JSON.parse(line.slice('data: '.length)));
            req.destroy();
          }
        });
      });
      req.on('error', reject);
    });
    const event = (await received) as { name: string; data: { message: string; source: string } };
    assert.equal(event.name, 'log');
    assert.equal(event.data.message, 'hello from core');
    assert.equal(event.data.source, 'test');
  });
});

describe('bodies of whole exported files', () => {
  const ref = referenceCase('gpt2-topk-l1post');
  const cores: Core[] = [];
  const servers: ServeHost[] = [];
  after(async () => {
    for (const s of servers) await s.close();
    for (const c of cores) await c.close();
  });

  /** A serve host over a core with the reference model and SAE open. */
  async function openHost(name: string, extra: Partial<ServeOptions> = {}): Promise<ServeHost> {
    // the reference fixtures live outside the allowed roots: granted, as `serve --allow-dir` does
    const c = createCore({ host: 'serve', data: { flag: path.join(tmp, name) }, files: { grants: [ref.dir] } });
    cores.push(c);
    const r = await c.request('workspace.open', { model: ref.modelDir, sae: ref.saeDir });
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    const server = await startServeHost({ core: c, port: 0, rendererDir, ...extra });
    servers.push(server);
    return server;
  }
  /** A request over HTTP: its status, and the reply's value (on success) or error. */
  const post = async <T = unknown>(
    server: ServeHost,
    name: string,
    payload: unknown,
  ): Promise<{ status: number; value: T; error: { code: string; message: string }; body: string }> => {
    const r = await send(server, { method: 'POST', path: `/api/${name}`, headers: json, body: JSON.stringify(payload) });
    const parsed = JSON.parse(r.body) as { value: T; error: { code: string; message: string } };
    return { status: r.status, value: parsed.value, error: parsed.error, body: r.body.slice(0, 300) };
  };

  test('an annotation export over 1 MiB is imported back over HTTP; other requests keep the 1 MiB limit', async () => {
    const from = await openHost('big-from');
    const notes = `${'long notes with "quotes" '.repeat(3999)}end`;
    for (let f = 0; f < 15; f++) {
      const set = await post(from, 'annotation.set', { feature: f, label: `feature ${f}`, notes });
      assert.equal(set.status, 200, set.body);
    }
    const exported = await post<AnnotationExport>(from, 'annotation.export', { format: 'json' });
    assert.equal(exported.status, 200);
    const content = exported.value.content;
    const body = JSON.stringify({ content });
    assert.ok(Buffer.byteLength(body) > DEFAULT_MAX_BODY_BYTES, `the body is ${Buffer.byteLength(body)} bytes`);

    const to = await openHost('big-to');
    const imported = await post<AnnotationImportResult>(to, 'annotation.import', { content });
    assert.equal(imported.status, 200, imported.body);
    assert.equal(imported.value.added, 15);
    const all = await post<Annotation[]>(to, 'annotation.all', {});
    assert.equal(all.value.length, 15);
    assert.equal(all.value[14]?.notes, notes);

    // the limit is per request: the same size elsewhere is still refused
    const elsewhere = await post(to, 'annotation.set', { feature: 1, notes: content });
    assert.equal(elsewhere.status, 413);
    assert.equal(elsewhere.error.code, 'too_large');
    // a steering session import may be large too: it reaches the handler (and is refused as no session)
    const session = await post(to, 'session.import', { data: { junk: 'x'.repeat(2 * DEFAULT_MAX_BODY_BYTES) } });
    assert.equal(session.error.code, 'bad_request', session.body);
  });

  test('per-request limits can be set, and pass the default for no other request', async () => {
    const server = await openHost('limits', { bodyLimits: { 'annotation.import': 100 } });
    const tooBig = await post(server, 'annotation.import', { content: 'x'.repeat(200) });
    assert.equal(tooBig.status, 413);
    assert.match(tooBig.error.message, /larger than 100 bytes/);
    const proto = await send(server, {
      method: 'POST',
      path: '/api/constructor',
      headers: json,
      body: JSON.stringify({ x: 'y'.repeat(2 * DEFAULT_MAX_BODY_BYTES) }),
    });
    assert.equal(proto.status, 413, 'a name that is no own key gets the default limit');
  });
});

describe('serve host off loopback', () => {
  let server: ServeHost;
  before(async () => {
    server = await startServeHost({ core, host: '0.0.0.0', port: 0, rendererDir });
  });
  after(() => server.close());

  test('creates a token and puts it in the URL to open', () => {
    assert.ok(server.token.length >= 32);
    assert.ok(server.openUrl.endsWith(`?token=${server.token}`));
  });

  test('requires the token on every request', async () => {
    const api = await send(server, { method: 'POST', path: '/api/jobs.list', headers: json, body: '{}', token: false });
    assert.equal(api.status, 401);
    assert.equal(JSON.parse(api.body).error.code, 'unauthorized');
    assert.equal((await send(server, { path: '/', token: false })).status, 401);
    assert.equal((await send(server, { path: '/api/events', token: false })).status, 401);
    const wrong = await send(server, { method: 'POST', path: '/api/jobs.list', headers: json, body: '{}', token: 'nope' });
    assert.equal(wrong.status, 401);
  });

  test('accepts the token as a bearer header, a query parameter, or the cookie it sets', async () => {
    const bearer = await send(server, { method: 'POST', path: '/api/jobs.list', headers: json, body: '{}' });
    assert.equal(bearer.status, 200);
    const query = await send(server, {
      method: 'POST',
      path: `/api/jobs.list?token=${server.token}`,
      headers: json,
      body: '{}',
      token: false,
    });
    assert.equal(query.status, 200);
    const page = await send(server, { path: `/?token=${server.token}`, token: false });
    assert.equal(page.status, 303);
    const cookie = String(page.headers['set-cookie']?.[0]).split(';')[0] ?? '';
    assert.match(cookie, /^sae_explorer_token=/);
    const withCookie = await send(server, {
      method: 'POST',
      path: '/api/jobs.list',
      headers: { ...json, Cookie: cookie },
      body: '{}',
      token: false,
    });
    assert.equal(withCookie.status, 200);
  });
});
