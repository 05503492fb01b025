import fs from 'node:fs';
import path from 'node:path';
import { app } from 'electron';
import { useSqliteNativeBinding } from '../core/kernel/sqlite.ts';

/** Written by scripts/postinstall.mjs next to the better-sqlite3 build for Electron. */
interface NativeManifest {
  readonly electron: string;
  /** Relative to the repository root. */
  readonly betterSqlite3: string;
}

/**
 * In development, node_modules/better-sqlite3 is built for plain Node (the CLI and tests
 * use it); postinstall builds a copy for Electron's ABI under .cache/electron-native and
 * we load that one. Packaged apps get the Electron build in place (scripts/after-pack.mjs).
 */
export function useElectronSqlite(): void {
  if (app.isPackaged) return;
  const root = app.getAppPath();
  try {
    const raw: unknown = JSON.parse(fs.readFileSync(path.join(root, '.cache/electron-native/manifest.json'), 'utf8'));
    if (!isManifest(raw) || raw.electron !== process.versions.electron) return;
    const file = path.resolve(root, raw.betterSqlite3);
    if (fs.existsSync(file)) useSqliteNativeBinding(file);
  } catch {
    // No manifest: app.status reports SQLite as unavailable with the loader's reason.
  }
}

function isManifest(v: unknown): v is NativeManifest {
  return !!v && typeof v === 'object' && 'electron' in v && 'betterSqlite3' in v && typeof v.betterSqlite3 === 'string';
}
