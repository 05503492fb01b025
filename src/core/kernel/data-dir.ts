import os from 'node:os';
import path from 'node:path';
import type { DataDirSource } from '#shared/contract.ts';

/** The folder name under the OS app-data folder. */
export const APP_DIR_NAME = 'sae-explorer';

/** The environment variable that overrides the data folder for every host. */
export const DATA_ENV = 'SAE_EXPLORER_DATA';

/**
 * Where a data folder caches spliced graph variants (the engine's `cacheDir`); file hashes
 * are memoised there too, so the annotations' SAE identity reuses what the engine computed.
 */
export function graphCacheDir(dataDir: string): string {
  return path.join(dataDir, 'graph-cache');
}

/** The data folder and why it was chosen. */
export interface DataDirChoice {
  readonly dir: string;
  readonly source: DataDirSource;
}

/** What decides the data folder; every field defaults to this process's. */
export interface DataDirInputs {
  /** The `--data DIR` option, when given. */
  readonly flag?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  readonly platform?: NodeJS.Platform;
  readonly home?: string;
  /** The host's own default (Electron: app.getPath('appData')/sae-explorer). */
  readonly fallback?: string;
}

/**
 * `--data DIR`, else `$SAE_EXPLORER_DATA`, else the host's default, else the OS app-data
 * folder. Relative paths are resolved against the working directory.
 */
export function resolveDataDir(inputs: DataDirInputs = {}): DataDirChoice {
  const env = inputs.env ?? process.env;
  if (inputs.flag) return { dir: path.resolve(inputs.flag), source: 'flag' };
  const fromEnv = env[DATA_ENV];
  if (fromEnv) return { dir: path.resolve(fromEnv), source: 'env' };
  const dir = inputs.fallback ?? defaultDataDir(inputs.platform ?? process.platform, env, inputs.home ?? os.homedir());
  return { dir, source: 'default' };
}

/**
 * The OS convention for per-user application data, outside Electron:
 * `$XDG_DATA_HOME` or ~/.local/share on Linux, ~/Library/Application Support on macOS,
 * %APPDATA% on Windows.
 */
export function defaultDataDir(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, home: string): string {
  // path.win32/posix so the answer does not depend on the OS the tests run on.
  if (platform === 'win32') {
    return path.win32.join(env['APPDATA'] || path.win32.join(home, 'AppData', 'Roaming'), APP_DIR_NAME);
  }
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', APP_DIR_NAME);
  const xdg = env['XDG_DATA_HOME'];
  // XDG says relative values are invalid and must be ignored.
  const base = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(home, '.local', 'share');
  return path.posix.join(base, APP_DIR_NAME);
}

/** Finds `--data DIR` or `--data=DIR` in an argv (Electron passes Chromium switches too). */
export function dataFlag(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--data') return argv[i + 1];
    if (a?.startsWith('--data=')) return a.slice('--data='.length);
  }
  return undefined;
}
