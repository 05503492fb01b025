#!/usr/bin/env node
// Bundles the command line (src/cli/index.ts) and core's worker-thread entries into out/cli/
// with esbuild, npm packages left external. bin/sae-explorer.mjs runs the bundle (rebuilt
// when a source file is newer): running the sources through tsx costs ~80 MB more memory
// per process (its loader thread, every module transformed and kept) and a slower start.
// `node scripts/build-cli.mjs` builds it by hand; it exports what the bin uses.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './lib.mjs';

export const cliOutDir = path.join(repoRoot, 'out', 'cli');
/** The bundled CLI. */
export const cliBundle = path.join(cliOutDir, 'cli.mjs');

// core's worker threads, bundled beside whatever starts them (the CLI, the bench's app harness)
// under the names core's workerEntry() looks for beside its caller (src/core/kernel/worker-thread.ts)
export const coreWorkerEntries = {
  'index-worker': 'src/core/index/worker.ts',
  'finalize-worker': 'src/core/index/finalize-worker.ts',
  'health-worker': 'src/core/health/worker.ts',
  'capture-worker': 'src/core/model/capture-worker.ts',
};
const entries = { cli: 'src/cli/index.ts', ...coreWorkerEntries };

/** Newest modification time (ms) of the files the bundle is built from. */
function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        // the renderer and test data are not part of the CLI
        if (e.name !== 'renderer' && e.name !== 'testdata') walk(p);
      } else if (/\.(ts|json)$/.test(e.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  walk(path.join(repoRoot, 'src'));
  for (const f of ['package.json', 'scripts/build-cli.mjs']) newest = Math.max(newest, fs.statSync(path.join(repoRoot, f)).mtimeMs);
  return newest;
}

/** True when the bundle is missing or older than a source file (a checkout without src/ only has the bundle). */
export function cliBundleStale() {
  if (!fs.existsSync(path.join(repoRoot, 'src'))) return false;
  try {
    const built = Math.min(...Object.keys(entries).map((n) => fs.statSync(path.join(cliOutDir, `${n}.mjs`)).mtimeMs));
    return built < newestSource();
  } catch {
    return true;
  }
}

/**
 * Bundles `entryPoints` ({ name: source }) into `outDir` as ES modules, npm packages left
 * external. Code an entry loads only by dynamic import (the model code in the index worker,
 * which captures on its parent's engine) goes in a chunk of its own, so it is not read at
 * start. Concurrent builds (parallel test processes) each write a folder of their own first.
 */
export async function bundle(entryPoints, outDir) {
  const { build } = await import('esbuild');
  const tmp = `${outDir}.${process.pid}.${Date.now()}`;
  await build({
    absWorkingDir: repoRoot,
    entryPoints,
    outdir: tmp,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  // file by file, chunks first and cli.mjs last: renaming a file over another is atomic, so a
  // CLI starting now runs the old bundle or the new one, and every chunk it names is there
  fs.mkdirSync(outDir, { recursive: true });
  const entry = (f) => Object.keys(entryPoints).some((n) => f === `${n}.mjs` || f === `${n}.mjs.map`);
  const rank = (f) => (!entry(f) ? 0 : f.startsWith('cli.') ? 2 : 1);
  const files = fs.readdirSync(tmp).sort((a, b) => rank(a) - rank(b));
  for (const f of files) fs.renameSync(path.join(tmp, f), path.join(outDir, f));
  fs.rmSync(tmp, { recursive: true, force: true });
  // chunks of earlier builds: kept a while for a process still running one, then removed
  const built = new Set(files);
  for (const f of fs.readdirSync(outDir)) {
    const file = path.join(outDir, f);
    if (!entry(f) && !built.has(f) && Date.now() - fs.statSync(file).mtimeMs > 3_600_000) fs.rmSync(file, { force: true });
  }
}

/** Builds the CLI bundle. */
export async function buildCli() {
  await bundle(entries, cliOutDir);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildCli();
  console.log(`build-cli: ${path.relative(repoRoot, cliBundle)}`);
}
