import fs from 'node:fs';
import path from 'node:path';
import type { Selection } from '#shared/workspace-types.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';

/** What the app remembers between runs. */
export interface Settings {
  readonly selection?: Selection;
  /** SAE hashes whose embedded-demo labels were merged into the annotations (src/core/workspace/demo-labels.ts). */
  readonly demoLabels?: readonly string[];
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
  writeFileAtomic(file, `${JSON.stringify(settings, null, 2)}\n`);
}
