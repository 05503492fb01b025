import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { defineCommand, type CliIo } from './command.ts';
import { commands } from './commands/index.ts';
import { runCli } from './main.ts';
import { runCliCaptured as cli } from '#testing/cli/testing.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('--help lists every command and exits 0', async () => {
  const r = await cli('--help');
  assert.equal(r.code, 0);
  for (const c of commands) assert.match(r.out, new RegExp(`^  ${c.name} `, 'm'));
});

test('every command has --help that exits 0 and shows its usage', async () => {
  for (const c of commands) {
    const r = await cli(c.name, '--help');
    assert.equal(r.code, 0, c.name);
    assert.match(r.out, new RegExp(`^Usage: sae-explorer ${c.name}`), c.name);
    assert.match(r.out, /--help/);
  }
});

test('an unknown command exits non-zero with a one-line error', async () => {
  const r = await cli('frobnicate');
  assert.notEqual(r.code, 0);
  assert.equal(r.out, '');
  assert.match(r.err, /^error: unknown command "frobnicate".*\n$/);
  assert.equal(r.err.split('\n').length, 2);
});

test('a bad option exits non-zero with a one-line error', async () => {
  const r = await cli('status', '--bogus');
  assert.notEqual(r.code, 0);
  assert.match(r.err, /^error: Unknown option '--bogus' \(see 'sae-explorer status --help'\)\n$/);
  const port = await cli('serve', '--port', 'eighty');
  assert.notEqual(port.code, 0);
  assert.match(port.err, /^error: --port must be a number/);
});

test('a failing command reports `error: ...` and exit 1', async () => {
  const failing = defineCommand({
    name: 'encode',
    summary: 'x',
    options: {},
    positionals: { min: 1, max: 1 },
    async run({ positionals }) {
      if (!fs.existsSync(positionals[0] ?? '')) throw new Error(`no such file: ${positionals[0]}`);
    },
  });
  let err = '';
  const io: CliIo = { stdout: () => {}, stderr: (s) => (err += s), signal: new AbortController().signal };
  assert.equal(await runCli(['encode', '/missing.txt'], io, [failing]), 1);
  assert.equal(err, 'error: no such file: /missing.txt\n');
  err = '';
  assert.equal(await runCli(['encode'], io, [failing]), 2);
  assert.match(err, /^error: missing argument/);
});

test('status --json prints the app.status result', async () => {
  const r = await cli('status', '--json', '--data', path.join(tmp, 'data'));
  assert.equal(r.code, 0, r.err);
  const status = JSON.parse(r.out);
  assert.equal(status.host, 'cli');
  assert.equal(status.dataDir, path.join(tmp, 'data'));
  assert.ok(status.providers.some((p: { name: string; available: boolean }) => p.name === 'cpu' && p.available));
});

test('status without --json prints a readable summary', async () => {
  const r = await cli('status', '--data', path.join(tmp, 'data'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^SAE Explorer \d/);
  assert.match(r.out, /^providers +\S+ +(available|unavailable)/m);
});

test('status shows the CPU threads of ONNX Runtime sessions, SAE_EXPLORER_CPU_THREADS included', async () => {
  const run = promisify(execFile);
  const bin = path.join(repoRoot, 'bin', 'sae-explorer.mjs');
  const env = { ...process.env, SAE_EXPLORER_CPU_THREADS: '3' };
  const json = await run(process.execPath, [bin, 'status', '--json', '--data', path.join(tmp, 'data')], { env });
  assert.equal(JSON.parse(json.stdout).cpuThreads, 3);
  const text = await run(process.execPath, [bin, 'status', '--data', path.join(tmp, 'data')], { env });
  assert.match(text.stdout, /^cpu threads +3$/m);
  // without the variable: this machine's own count (Linux: its physical cores), never more than its CPUs
  const own = JSON.parse(
    (
      await run(process.execPath, [bin, 'status', '--json', '--data', path.join(tmp, 'data')], {
        env: { ...process.env, SAE_EXPLORER_CPU_THREADS: '' },
      })
    ).stdout,
  );
  if (process.platform === 'linux')
    assert.ok(own.cpuThreads >= 1 && own.cpuThreads <= os.availableParallelism(), JSON.stringify(own.cpuThreads));
});

test('the package bin runs the CLI (--help exits 0; unknown command exits 2)', async () => {
  const run = promisify(execFile);
  const bin = path.join(repoRoot, 'bin', 'sae-explorer.mjs');
  const ok = await run(process.execPath, [bin, '--help']);
  assert.match(ok.stdout, /^Usage: sae-explorer <command>/);
  await assert.rejects(run(process.execPath, [bin, 'nope']), (e: { code: number; stderr: string }) => {
    assert.equal(e.code, 2);
    assert.match(e.stderr, /^error: unknown command "nope"/m);
    return true;
  });
});
