/**
 * The explainer's saved settings in the data folder (`<data>/autointerp.json`, mode 0600 as
 * `hub.json` is, since it may hold an API key). The key is never logged or returned.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.ts';

export const AUTOINTERP_SETTINGS_FILE = 'autointerp.json';

/** The environment variable whose key beats the saved one. */
export const API_KEY_ENV = 'SAE_EXPLORER_EXPLAINER_KEY';

/** What is saved. */
export interface AutointerpFileSettings {
  readonly endpoint?: string;
  readonly model?: string;
  readonly onnxModel?: string;
  readonly apiKey?: string;
}

/** Reads `<data>/autointerp.json`; missing or unreadable means nothing saved. */
export function readAutointerpSettings(dataDir: string): AutointerpFileSettings {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(dataDir, AUTOINTERP_SETTINGS_FILE), 'utf8')) as unknown;
    if (!v || typeof v !== 'object') return {};
    const out: Record<string, string> = {};
    for (const k of ['endpoint', 'model', 'onnxModel', 'apiKey'] as const) {
      const x = (v as Record<string, unknown>)[k];
      if (typeof x === 'string' && x) out[k] = x;
    }
    return out satisfies AutointerpFileSettings;
  } catch {
    return {};
  }
}

/** Writes `<data>/autointerp.json` atomically with mode 0600. */
export function writeAutointerpSettings(dataDir: string, settings: AutointerpFileSettings): void {
  fs.mkdirSync(dataDir, { recursive: true });
  writeFileAtomic(path.join(dataDir, AUTOINTERP_SETTINGS_FILE), `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
}

/** The API key to send: the environment's, else the saved one, else none. */
export function explainerApiKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): string | null {
  return env[API_KEY_ENV] || readAutointerpSettings(dataDir).apiKey || null;
}
