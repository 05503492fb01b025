/** `serve`: a fresh token on loopback too, kept in the data folder for the user's own tools, and --allow-dir. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { referenceCase } from '#testing/index/test-support.ts';
import { writeSettings } from '../../core/workspace/settings.ts';
import type { LocalFolder } from '#shared/hub-types.ts';
import { serveRecordFile } from '../../server/serve-record.ts';
import type { CliIo } from '../command.ts';
import { runCli } from '../main.ts';
import { runCliCaptured } from '#testing/cli/testing.ts';

const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sae-serve-cli-')));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ref = referenceCase('gpt2-topk-l1post');
const data = path.join(tmp, 'data');
const granted = path.join(tmp, 'granted');
fs.mkdirSync(granted);
fs.mkdirSync(data);
// a remembered selection without a corpus, so starting up indexes nothing
writeSettings(data, { selection: { model: ref.modelDir, sae: ref.saeDir } });

interface Started {
  readonly url: string;
  readonly openUrl: string;
  readonly token: string;
  readonly dataDir: string;
  readonly alreadyRunning?: boolean;
}

/** Runs `serve ...args --json` in this process; resolves once it printed its JSON line. */
async function startServe(...args: string[]): Promise<{ info: Started; stop: () => Promise<number>; err: () => string }> {
  const stop = new AbortController();
  let err = '';
  let printed!: (line: string) => void;
  const line = new Promise<string>((resolve) => (printed = resolve));
  const io: CliIo = { stdout: (s) => printed(s), stderr: (s) => (err += s), signal: stop.signal };
  const exit = runCli(['serve', '--json', '--data', data, ...args], io);
  const first = await Promise.race([line, exit.then((code) => `exit ${code}: ${err}`)]);
  assert.ok(first.startsWith('{'), first);
  return {
    info: JSON.parse(first) as Started,
    stop: () => {
      stop.abort();
      return exit;
    },
    err: () => err,
  };
}

const post = (url: string, name: string, payload: unknown, token?: string): Promise<Response> =>
  fetch(new URL(`api/${name}`, url), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(payload),
  });

test('serve prints a URL with a fresh token, keeps it in serve.json (mode 0600) and answers only with it', async () => {
  const serve = await startServe('--port', '0', '--allow-dir', granted);
  const { url, openUrl, token } = serve.info;
  try {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(openUrl, `${url}?token=${token}`);
    assert.ok(token.length >= 32);

    const file = serveRecordFile(data);
    if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const record = JSON.parse(fs.readFileSync(file, 'utf8')) as Started & { pid: number };
    assert.deepEqual([record.url, record.openUrl, record.token, record.pid], [url, openUrl, token, process.pid]);

    assert.equal((await post(url, 'jobs.list', {})).status, 401);
    assert.equal((await post(url, 'jobs.list', {}, token)).status, 200);
    // the printed URL opens the app: the page sets the cookie the page's own requests carry
    const page = await fetch(openUrl, { redirect: 'manual' });
    assert.equal(page.status, 303);
    assert.match(page.headers.get('set-cookie') ?? '', new RegExp(`^sae_explorer_token=${token};`));

    // --allow-dir is a root; the remembered selection stays reachable after a restart
    const roots = (await (await post(url, 'hub.browse', {}, token)).json()) as { value: LocalFolder };
    assert.ok(roots.value.entries.some((e) => e.path === granted && e.root === 'granted'));
    assert.equal((await post(url, 'hub.browse', { dir: granted }, token)).status, 200);
    assert.equal((await post(url, 'hub.browse', { dir: ref.modelDir }, token)).status, 200);
    assert.equal((await post(url, 'hub.browse', { dir: tmp }, token)).status, 403);

    // started again on the same port and data folder, serve shows the running host instead of failing
    const port = new URL(url).port;
    const again = await runCliCaptured('serve', '--json', '--data', data, '--port', port);
    assert.equal(again.code, 0, again.err);
    assert.deepEqual(JSON.parse(again.out), { url, openUrl, token, dataDir: data, alreadyRunning: true });
    const human = await runCliCaptured('serve', '--data', data, '--port', port);
    assert.equal(human.out, `SAE Explorer is already serving this data folder at ${openUrl}\n`);
  } finally {
    assert.equal(await serve.stop(), 0, serve.err());
  }
  assert.equal(fs.existsSync(serveRecordFile(data)), false, 'the record goes when the host stops');

  // the next run gets a new token
  const next = await startServe('--port', '0');
  try {
    assert.notEqual(next.info.token, token);
  } finally {
    await next.stop();
  }
});

test('serve --allow-dir with a missing folder is a one-line error', async () => {
  const missing = path.join(tmp, 'missing');
  const r = await runCliCaptured('serve', '--data', data, '--port', '0', '--allow-dir', missing);
  assert.equal(r.code, 1);
  assert.equal(r.err, `error: --allow-dir ${missing}: no such folder\n`);
});
