#!/usr/bin/env node
// The `sae-explorer` command (also `npm run cli --`): runs the bundled CLI, out/cli/cli.mjs,
// built from src/ by scripts/build-cli.mjs when missing or older than a source file.
//
// It runs in a child Node with a smaller V8 young generation and fewer malloc arenas: the
// default young generation (up to 3 x 16 MB) and one glibc arena per thread are ~30 MB of
// peak memory that indexing does not need (`index --max-tokens 2000` on a 10 MB one-line
// document stays under 150 MB RSS; see src/cli/commands/index-command.stream.test.ts).
// SAE_EXPLORER_NODE_FLAGS replaces those flags ('' for Node's defaults).
import { spawn } from 'node:child_process';
import { buildCli, cliBundle, cliBundleStale } from '../scripts/build-cli.mjs';

if (cliBundleStale()) {
  try {
    await buildCli();
  } catch (e) {
    // esbuild has printed what failed, with file and line
    console.error(`error: could not build the command line from src/ (${String(e instanceof Error ? e.message : e).split('\n')[0]})`);
    process.exit(1);
  }
}

const flags = (process.env.SAE_EXPLORER_NODE_FLAGS ?? '--max-semi-space-size=2').split(/\s+/).filter(Boolean);
const env = { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' };
const child = spawn(process.execPath, [...flags, cliBundle, ...process.argv.slice(2)], { stdio: 'inherit', env });
// Ctrl-C reaches the child from the terminal itself (same process group): wait for it to stop.
process.on('SIGINT', () => undefined);
for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('error', (e) => {
  console.error(`error: cannot start ${process.execPath}: ${e.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else process.exit(code ?? 1);
});
