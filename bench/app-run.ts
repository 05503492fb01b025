/**
 * Runs bench/app-index.ts the way the app ships: bundled with the index worker into
 * out/bench/ (built once per benchmark run), in a Node process of its own.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '#testing/fixtures.ts';
import { bundle, coreWorkerEntries } from '../scripts/build-cli.mjs';
import type { AppIndexArgs, AppIndexRun } from './app-index.ts';

const outDir = path.join(repoRoot, 'out', 'bench');
let built: Promise<void> | undefined;

/** One app index job in a process of its own (see bench/app-index.ts). */
export async function appIndexRun(args: AppIndexArgs): Promise<AppIndexRun> {
  built ??= bundle({ 'app-index': 'bench/app-index.ts', ...coreWorkerEntries }, outDir);
  await built;
  const out = execFileSync(process.execPath, [path.join(outDir, 'app-index.mjs'), JSON.stringify(args)], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as AppIndexRun;
}
