#!/usr/bin/env node
// Installs npm packages when they are missing or older than package.json, so `npm start`
// and `npm test` work on a fresh clone. Dependency-free: it runs before anything is installed.
//
//   node scripts/setup.mjs [--quiet]    (--quiet: print nothing when already installed)
//
// The Electron binary comes from github.com (or $ELECTRON_MIRROR). When that host cannot be
// reached, the install goes on without it (ELECTRON_SKIP_BINARY_DOWNLOAD=1) and the app
// opens in the browser instead; when it can, the binary is fetched after the install.
// onnxruntime-node's CUDA 12 libraries (from NuGet, hundreds of MB) are skipped
// (ONNXRUNTIME_NODE_INSTALL=skip) unless that variable is set; `npm run setup:cuda` adds them.
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { electronBinary, electronDir, NODE_REQUIRED, nodeTooOld, npmCommand, repoRoot, run } from './lib.mjs';

const nodeModules = path.join(repoRoot, 'node_modules');
const hiddenLock = path.join(nodeModules, '.package-lock.json');

/** Why an install is needed, or undefined when everything is in place. */
export function installReason() {
  if (!fs.existsSync(nodeModules)) return 'node_modules is missing';
  if (!fs.existsSync(hiddenLock)) return 'node_modules was not installed by npm';
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  const names = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];
  const missing = names.find((n) => !fs.existsSync(path.join(nodeModules, n, 'package.json')));
  if (missing) return `${missing} is not installed`;
  if (!fs.existsSync(path.join(nodeModules, 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'))) {
    return 'better-sqlite3 is not built';
  }
  if (fs.statSync(path.join(repoRoot, 'package.json')).mtimeMs > fs.statSync(hiddenLock).mtimeMs) {
    return 'package.json changed since the last install';
  }
  return undefined;
}

/** The host the Electron binary downloads from. */
function electronHost() {
  const mirror = process.env.ELECTRON_MIRROR || process.env.npm_config_electron_mirror;
  return mirror || 'https://github.com/';
}

/** True when a HEAD request to the Electron download host answers within ~3 s. */
export function electronHostReachable(url = electronHost(), timeoutMs = 3000) {
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(ok);
    };
    let req;
    try {
      req = https.request(url, { method: 'HEAD', timeout: timeoutMs }, (res) => {
        res.resume();
        done(true); // any HTTP answer means the host is there
      });
    } catch {
      return resolve(false);
    }
    // Also covers DNS lookups that hang past the socket timeout.
    const timer = setTimeout(() => {
      req.destroy();
      done(false);
    }, timeoutMs + 500);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => done(false));
    req.end();
  });
}

/**
 * Installs when needed; returns true when the tree is ready. With `quiet`, prints nothing
 * when no install is needed.
 */
export async function ensureInstalled({ quiet = false } = {}) {
  const reason = installReason();
  if (!reason) {
    if (!quiet) console.log('setup: npm packages are installed');
    return true;
  }
  console.log(`setup: installing npm packages (${reason})`);
  console.log(
    'setup: the first install takes a few minutes: better-sqlite3 compiles its native module from source ' +
      '(python3, make and a C++ compiler) when its prebuilt binary cannot be downloaded from github.com',
  );
  if (nodeTooOld()) {
    console.log(
      `setup: this is Node ${process.versions.node}: npm warns EBADENGINE about electron and its tools, which need Node ${NODE_REQUIRED}+ ` +
        '(for the desktop app and `npm run dist`); the tests, the command line and `serve` run on this Node',
    );
  }

  // the default install is CPU + bundled providers (DESIGN.md); CUDA is fetched on request
  const env = { ONNXRUNTIME_NODE_INSTALL: 'skip', ...process.env };
  const skipRequested = ['1', 'true'].includes(String(env.ELECTRON_SKIP_BINARY_DOWNLOAD).toLowerCase());
  const reachable = !skipRequested && (await electronHostReachable());
  if (!reachable) {
    env.ELECTRON_SKIP_BINARY_DOWNLOAD = '1';
    if (!skipRequested)
      console.log(`setup: ${electronHost()} is unreachable; installing without the Electron binary (the app will open in your browser)`);
  }

  const npm = npmCommand();
  const code = await run(npm.command, [...npm.prefix, 'install', '--no-audit', '--no-fund'], { env, shell: npm.shell });
  if (code !== 0) {
    console.error(`setup: npm install failed (exit ${code})`);
    return false;
  }
  // npm leaves the hidden lockfile alone when nothing changed; mark this install as current.
  if (fs.existsSync(hiddenLock)) {
    const now = new Date();
    fs.utimesSync(hiddenLock, now, now);
  }

  if (reachable && !electronBinary() && fs.existsSync(path.join(electronDir, 'install.js'))) {
    console.log('setup: downloading the Electron binary');
    const got = await run(process.execPath, [path.join(electronDir, 'install.js')], { env });
    if (got === 0 && electronBinary()) {
      // postinstall ran before the binary existed: build better-sqlite3 for Electron now.
      await run(process.execPath, [path.join(repoRoot, 'scripts', 'postinstall.mjs')]);
    } else {
      console.log('setup: the Electron binary could not be downloaded; the app will open in your browser');
    }
  }
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const ok = await ensureInstalled({ quiet: process.argv.includes('--quiet') });
  process.exit(ok ? 0 : 1);
}
