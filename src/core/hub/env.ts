/**
 * Where the hub is, where its cache is and which token to send, decided the way Python's
 * huggingface_hub decides them, so both share one cache and one login.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HubSettings } from '#shared/hub-types.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';

/** The public hub. */
export const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** The app's own hub settings file in the data folder (mode 0600: it may hold a token). */
export const HUB_SETTINGS_FILE = 'hub.json';

/** Everything a pull needs to know about its surroundings. */
export interface HubConfig {
  /** Without a trailing slash. */
  readonly endpoint: string;
  readonly cacheDir: string;
  readonly cacheDirSource: string;
  /** HF_HUB_OFFLINE: never touch the network. */
  readonly offline: boolean;
  /** The token to send, if any. Never log it or return it. */
  readonly token: string | null;
  readonly tokenSource: HubSettings['token']['source'];
  readonly tokenFile: string;
}

const truthy = (v: string | undefined): boolean => !!v && ['1', 'true', 'yes', 'on'].includes(v.trim().toLowerCase());

/** `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface` (as huggingface_hub's constants). */
export function hfHome(env: NodeJS.ProcessEnv, home = os.homedir()): string {
  if (env['HF_HOME']) return path.resolve(expandHome(env['HF_HOME'], home));
  const xdg = env['XDG_CACHE_HOME'] ? expandHome(env['XDG_CACHE_HOME'], home) : path.join(home, '.cache');
  return path.join(path.resolve(xdg), 'huggingface');
}

function expandHome(p: string, home: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(home, p.slice(1)) : p;
}

/** The hub cache folder and the variable that chose it. */
export function hubCacheDir(env: NodeJS.ProcessEnv, home = os.homedir()): { dir: string; source: string } {
  for (const name of ['HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE']) {
    const v = env[name];
    if (v) return { dir: path.resolve(expandHome(v, home)), source: name };
  }
  if (env['HF_HOME']) return { dir: path.join(hfHome(env, home), 'hub'), source: 'HF_HOME' };
  if (env['XDG_CACHE_HOME']) return { dir: path.join(hfHome(env, home), 'hub'), source: 'XDG_CACHE_HOME' };
  return { dir: path.join(hfHome(env, home), 'hub'), source: 'default' };
}

/** The token file `huggingface-cli login` writes: `$HF_TOKEN_PATH`, else `<HF_HOME>/token`. */
export function tokenFile(env: NodeJS.ProcessEnv, home = os.homedir()): string {
  return env['HF_TOKEN_PATH'] ? path.resolve(expandHome(env['HF_TOKEN_PATH'], home)) : path.join(hfHome(env, home), 'token');
}

/** The app's own hub settings (data folder). */
export interface HubFileSettings {
  readonly token?: string;
}

/** Reads `<data>/hub.json`; missing or unreadable means no settings. */
export function readHubSettings(dataDir: string): HubFileSettings {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(dataDir, HUB_SETTINGS_FILE), 'utf8')) as unknown;
    if (v && typeof v === 'object' && 'token' in v && typeof v.token === 'string' && v.token) return { token: v.token };
    return {};
  } catch {
    return {};
  }
}

/** Writes `<data>/hub.json` atomically with mode 0600 (it may hold a token). */
export function writeHubSettings(dataDir: string, settings: HubFileSettings): void {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, HUB_SETTINGS_FILE);
  writeFileAtomic(file, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
}

/**
 * The token to send: `HF_TOKEN` (or the older `HUGGING_FACE_HUB_TOKEN`), else the one saved
 * in the app's settings, else the HF token file. An explicit app setting beats the file
 * because the user typed it here; the environment beats both, as in huggingface_hub.
 */
export function resolveToken(
  env: NodeJS.ProcessEnv,
  dataDir: string | null,
  home = os.homedir(),
): { token: string | null; source: HubConfig['tokenSource']; file: string } {
  const file = tokenFile(env, home);
  for (const name of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN']) {
    const v = env[name]?.trim();
    if (v) return { token: v, source: 'env', file };
  }
  const saved = dataDir ? readHubSettings(dataDir).token : undefined;
  if (saved) return { token: saved, source: 'settings', file };
  try {
    const v = fs.readFileSync(file, 'utf8').trim();
    if (v) return { token: v, source: 'file', file };
  } catch {
    // no token file: anonymous
  }
  return { token: null, source: null, file };
}

/** The hub configuration for this environment (and the app's data folder, for a saved token). */
export function hubConfig(env: NodeJS.ProcessEnv = process.env, dataDir: string | null = null, home = os.homedir()): HubConfig {
  const cache = hubCacheDir(env, home);
  const token = resolveToken(env, dataDir, home);
  const endpoint = (env['HF_ENDPOINT']?.trim() || DEFAULT_ENDPOINT).replace(/\/+$/, '');
  return {
    endpoint,
    cacheDir: cache.dir,
    cacheDirSource: cache.source,
    offline: truthy(env['HF_HUB_OFFLINE']) || truthy(env['TRANSFORMERS_OFFLINE']),
    token: token.token,
    tokenSource: token.source,
    tokenFile: token.file,
  };
}

/** The settings as the UI may see them: no token, only whether there is one. */
export function publicSettings(c: HubConfig): HubSettings {
  return {
    endpoint: c.endpoint,
    cacheDir: c.cacheDir,
    cacheDirSource: c.cacheDirSource,
    offline: c.offline,
    token: { present: c.token !== null, source: c.tokenSource, file: c.tokenFile },
  };
}
