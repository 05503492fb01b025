#!/usr/bin/env node
// Builds better-sqlite3 for Electron's ABI into .cache/electron-native/, leaving
// node_modules/better-sqlite3 built for plain Node (the CLI, the serve host and the tests
// use that one). The Electron main process loads the copy through better-sqlite3's
// `nativeBinding` option (src/main/native.ts). electron-builder's install-app-deps would
// rebuild in place and break plain Node, hence the separate folder.
//
// Without the Electron binary there is nothing to build for: print one line, exit 0.
// Never fails the install: a failed build prints why and exits 0.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { electronBinary, electronVersion, repoRoot, run } from './lib.mjs';

export const cacheDir = path.join(repoRoot, '.cache', 'electron-native');
export const manifestFile = path.join(cacheDir, 'manifest.json');
const source = path.join(repoRoot, 'node_modules', 'better-sqlite3');

/**
 * Copies better-sqlite3's sources to `dest` and builds them for `runtime`/`target`:
 * a prebuilt binary when one can be downloaded, else a compile with node-gyp.
 * Resolves with the built addon's path, or undefined.
 */
export async function buildBetterSqlite3({ runtime, target, distUrl, dest, arch = process.arch }) {
  fs.rmSync(dest, { recursive: true, force: true });
  fs.cpSync(source, dest, {
    recursive: true,
    filter: (src) => !/[\\/](build|node_modules|prebuilds)$/.test(src.slice(source.length)),
  });
  const addon = path.join(dest, 'build', 'Release', 'better_sqlite3.node');
  const env = { ...process.env, npm_config_runtime: runtime, npm_config_target: target, npm_config_arch: arch };

  const prebuild = resolveFrom(['prebuild-install/bin.js']);
  if (prebuild) {
    const code = await run(process.execPath, [prebuild, `--runtime=${runtime}`, `--target=${target}`, `--arch=${arch}`], {
      cwd: dest,
      env,
    });
    if (code === 0 && fs.existsSync(addon)) return addon;
  }
  const gyp = resolveFrom(['node-gyp/bin/node-gyp.js'], npmBundled('node-gyp/bin/node-gyp.js'));
  if (!gyp) {
    console.log('postinstall: node-gyp not found; cannot build better-sqlite3 for Electron');
    return undefined;
  }
  const args = [gyp, 'rebuild', '--release', `--runtime=${runtime}`, `--target=${target}`, `--arch=${arch}`];
  if (distUrl) args.push(`--dist-url=${distUrl}`);
  const code = await run(process.execPath, args, { cwd: dest, env });
  return code === 0 && fs.existsSync(addon) ? addon : undefined;
}

function resolveFrom(candidates, ...extra) {
  for (const c of candidates) {
    const p = path.join(repoRoot, 'node_modules', c);
    if (fs.existsSync(p)) return p;
  }
  return extra.find((p) => p && fs.existsSync(p));
}

/** A file inside the npm that runs us (it bundles node-gyp). */
function npmBundled(rel) {
  const cli = process.env.npm_execpath;
  return cli ? path.join(path.dirname(cli), '..', 'node_modules', rel) : undefined;
}

function readManifest() {
  try {
    return JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  } catch {
    return undefined;
  }
}

async function main() {
  if (!electronBinary()) {
    console.log('postinstall: Electron binary not installed; skipping the better-sqlite3 build for Electron');
    return;
  }
  const electron = electronVersion();
  const sqliteVersion = JSON.parse(fs.readFileSync(path.join(source, 'package.json'), 'utf8')).version;
  const current = readManifest();
  if (
    current?.electron === electron &&
    current?.betterSqlite3Version === sqliteVersion &&
    fs.existsSync(path.join(repoRoot, current.betterSqlite3))
  ) {
    console.log(`postinstall: better-sqlite3 for Electron ${electron} is up to date`);
    return;
  }
  console.log(`postinstall: building better-sqlite3 ${sqliteVersion} for Electron ${electron} into ${path.relative(repoRoot, cacheDir)}`);
  const addon = await buildBetterSqlite3({
    runtime: 'electron',
    target: electron,
    distUrl: 'https://electronjs.org/headers',
    dest: path.join(cacheDir, 'better-sqlite3'),
  });
  if (!addon) {
    console.log('postinstall: the build failed; the desktop app will report SQLite as unavailable (retry: node scripts/postinstall.mjs)');
    return;
  }
  fs.writeFileSync(
    manifestFile,
    `${JSON.stringify({ electron, betterSqlite3Version: sqliteVersion, betterSqlite3: path.relative(repoRoot, addon).split(path.sep).join('/') }, null, 2)}\n`,
  );
  console.log(`postinstall: better-sqlite3 for Electron ${electron} is ready`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main().catch((e) => console.log(`postinstall: skipped the Electron native build (${e.message})`));
}
