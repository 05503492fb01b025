import fs from 'node:fs';
import path from 'node:path';
import type { Selection } from '../../shared/workspace-types.ts';

/** What the app remembers between runs. */
export interface Settings {
  readonly selection?: Selection;
}

/** Reads `<data>/settings.json`; a missing or unreadable file means defaults (and is kept aside, not lost). */
export function readSettings(dataDir: string): Settings {
  const file = path.join(dataDir, 'settings.json');
  if (!fs.existsSync(file)) return {};
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Settings;
  } catch {
    fs.renameSync(file, `${file}.unreadable-${Date.now()}`);
    return {};
  }
}

/** Writes settings atomically (temp file + rename), so a crash never leaves half a file. */
export function writeSettings(dataDir: string, settings: Settings): void {
  const file = path.join(dataDir, 'settings.json');
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(settings, null, 2)}\n`);
  fs.renameSync(tmp, file);
}
