/**
 * The scaling-out recipes run as written: the Slurm array script (deploy/slurm/index-array.sbatch)
 * is run with bash as 3 array tasks, then as the merge job, with the variables Slurm sets; the
 * shell commands of the Kubernetes Indexed Job and of the merge Job are taken out of
 * deploy/kubernetes/index-job.yaml and run with `sh -c` as 3 pods (JOB_COMPLETION_INDEX) and
 * one. Workers run at once, sharing one data folder as pods share a volume. Each merged index
 * must equal a single run over the same corpus. `sae-explorer` is this checkout's bin.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runIndex } from '../../src/core/index/indexer.ts';
import { dumpIndex, referenceCase, writeJsonlCorpus } from '#testing/index/test-support.ts';
import { repoRoot } from '#testing/fixtures.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-recipes-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ref = referenceCase('gpt2-topk-l1post');
const corpus = path.join(tmp, 'corpus.jsonl');
const single = path.join(tmp, 'single.sqlite');
const bin = path.join(tmp, 'bin');
let reference: unknown;

before(async () => {
  writeJsonlCorpus(corpus, 40, 3);
  // `sae-explorer` on PATH, as `npm link` or the container image installs it
  fs.mkdirSync(bin);
  fs.writeFileSync(
    path.join(bin, 'sae-explorer'),
    `#!/bin/sh\nexec "${process.execPath}" "${path.join(repoRoot, 'bin', 'sae-explorer.mjs')}" "$@"\n`,
    {
      mode: 0o755,
    },
  );
  const r = await runIndex({ model: ref.modelDir, sae: ref.saeDir, corpus, db: single, cacheDir: path.join(tmp, 'cache') });
  assert.equal(r.complete, true);
  reference = dumpIndex(single);
});

/** Runs a command with the scheduler's environment; rejects with its output when it fails. */
function run(cmd: string, args: string[], env: Record<string, string>): Promise<string> {
  const child = spawn(cmd, args, {
    cwd: tmp,
    env: { ...process.env, ...env, PATH: `${bin}${path.delimiter}${process.env['PATH'] ?? ''}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out}`)))),
  );
}

const inputs = (out: string): Record<string, string> => ({ MODEL: ref.modelDir, SAE: ref.saeDir, CORPUS: corpus, OUT: out });

test('Slurm: index-array.sbatch as a 3-task array (ids 1-3, as --array=1-3 numbers them), then as the merge job', async () => {
  const script = path.join(repoRoot, 'deploy', 'slurm', 'index-array.sbatch');
  const out = path.join(tmp, 'slurm');
  const array = {
    SLURM_ARRAY_JOB_ID: '4242',
    SLURM_ARRAY_TASK_COUNT: '3',
    SLURM_ARRAY_TASK_MIN: '1',
    SLURM_ARRAY_TASK_MAX: '3',
    SLURM_ARRAY_TASK_STEP: '1',
  };
  await Promise.all([1, 2, 3].map((id) => run('bash', [script], { ...inputs(out), ...array, SLURM_ARRAY_TASK_ID: String(id) })));
  const merged = JSON.parse(await run('bash', [script, 'merge'], { ...inputs(out), SLURM_JOB_ID: '4243' })) as {
    out: string;
    shards: number;
  };
  assert.equal(merged.shards, 3);
  assert.equal(merged.out, path.join(out, 'index.sqlite'));
  assert.deepEqual(dumpIndex(merged.out), reference);
});

/** The `args: - |` block scalars of the YAML (the shell scripts of its containers), in order, and each one's env values. */
function containerScripts(yaml: string): { script: string; env: Record<string, string>; completions?: number }[] {
  return yaml.split(/^---$/m).flatMap((doc) => {
    const lines = doc.split('\n');
    const at = lines.findIndex((l, i) => /^\s*args:\s*$/.test(l) && /^\s*- \|\s*$/.test(lines[i + 1] ?? ''));
    if (at < 0) return [];
    const body: string[] = [];
    const indent = /^(\s*)/.exec(lines[at + 2]!)![1]!.length;
    for (const l of lines.slice(at + 2)) {
      if (l.trim() !== '' && /^(\s*)/.exec(l)![1]!.length < indent) break;
      body.push(l.slice(indent));
    }
    const env: Record<string, string> = {};
    for (const m of doc.matchAll(/- \{ name: (\w+), value: ["']?([^"'}]*?)["']? \}/g)) env[m[1]!] = m[2]!;
    const completions = /^\s*completions: (\d+)/m.exec(doc)?.[1];
    return [{ script: body.join('\n'), env, ...(completions ? { completions: Number(completions) } : {}) }];
  });
}

test('Kubernetes: the Indexed Job’s script as 3 pods (JOB_COMPLETION_INDEX 0–2), then the merge Job’s', async () => {
  const yaml = fs.readFileSync(path.join(repoRoot, 'deploy', 'kubernetes', 'index-job.yaml'), 'utf8');
  const [index, merge] = containerScripts(yaml);
  assert.ok(index && merge, 'two container scripts');
  assert.match(index.script, /sae-explorer index .*--shards "\$SHARDS"/);
  assert.match(merge.script, /sae-explorer merge --out/);
  assert.equal(index.completions, 3);
  assert.equal(index.env['SHARDS'], '3', 'SHARDS matches completions');
  const out = path.join(tmp, 'k8s');
  // the volume's paths (/data/...) are this machine's folders here; everything else as the manifest sets it
  await Promise.all(
    [0, 1, 2].map((i) => run('/bin/sh', ['-c', index.script], { ...index.env, ...inputs(out), JOB_COMPLETION_INDEX: String(i) })),
  );
  const merged = JSON.parse(await run('/bin/sh', ['-c', merge.script], { ...merge.env, OUT: out })) as { out: string; shards: number };
  assert.equal(merged.shards, 3);
  assert.deepEqual(dumpIndex(merged.out), reference);
});
