#!/usr/bin/env node
// `npm test`: install what is missing, build the app (so the e2e specs use a fresh
// renderer), then run every test in ONE node test runner invocation: unit tests next to
// the code (src/**/*.test.ts, test/**/*.test.ts) and e2e specs (e2e/*.spec.ts). Ends with
// the runner's TAP summary and a last line `N passed, N failed`.
//
//   node scripts/test.mjs [--unit | --e2e] [--no-build] [FILTER...]
//   (FILTER: only test files whose path contains one of these strings)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { nodeBin, repoRoot, run } from './lib.mjs';
import { ensureInstalled } from './setup.mjs';

const argv = process.argv.slice(2);
const unitOnly = argv.includes('--unit');
const e2eOnly = argv.includes('--e2e');
const filters = argv.filter((a) => !a.startsWith('--'));

if (!(await ensureInstalled({ quiet: true }))) process.exit(1);

if (!unitOnly && !argv.includes('--no-build')) {
  console.log('test: building (electron-vite build)');
  const built = await run(process.execPath, [nodeBin('electron-vite/bin/electron-vite.js'), 'build', '--logLevel', 'warn']);
  if (built !== 0) {
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

/** Files under `dir` (relative to the repo) whose names match `pattern`, sorted. */
function find(dir, pattern, recursive) {
  const root = path.join(repoRoot, dir);
  if (!fs.existsSync(root)) return [];
  const out = [];
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) {
        if (recursive && entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(full);
      } else if (pattern.test(entry.name)) {
        out.push(path.relative(repoRoot, full));
      }
    }
  };
  walk(root);
  return out.sort();
}

const unit = [...find('src', /\.test\.ts$/, true), ...find('test', /\.test\.ts$/, true)];
const e2e = find('e2e', /\.spec\.ts$/, false);
const files = (unitOnly ? unit : e2eOnly ? e2e : [...unit, ...e2e]).filter(
  (f) => filters.length === 0 || filters.some((s) => f.includes(s)),
);
if (files.length === 0) {
  console.log('test: no test files matched');
  console.log('0 passed, 0 failed');
  process.exit(1);
}

fs.mkdirSync(path.join(repoRoot, 'test-results'), { recursive: true });
const args = [
  '--import',
  'tsx',
  '--test',
  '--test-concurrency=1',
  '--test-reporter=tap',
  // A hung test must not eat the CI budget; real tests finish far sooner.
  '--test-timeout=600000',
  ...files,
];
const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  // The summary is at the end; keep only the last few KB to parse.
  tail = (tail + chunk.toString('utf8')).slice(-8192);
});
const code = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));

const count = (name) => {
  const matches = [...tail.matchAll(new RegExp(`^# ${name} (\\d+)$`, 'gm'))];
  return matches.length ? Number(matches[matches.length - 1][1]) : undefined;
};
const passed = count('pass') ?? 0;
// A runner that died before its summary counts as a failure.
const failed = (count('fail') ?? 1) + (count('cancelled') ?? 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(code !== 0 || failed > 0 ? 1 : 0);
