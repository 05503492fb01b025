/**
 * A local folder's listing for the Models screen's folder picker, which must work the same
 * in the desktop app and in a browser talking to the serve host (no native dialog there).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HubKind, LocalFolder } from '../../shared/hub-types.ts';
import { AppError } from '../../shared/reply.ts';
import { folderKind } from './scan.ts';

/** Entries listed at most (a folder with more is cut, folders first). */
const MAX_ENTRIES = 2000;

/** What a file looks like on its own: an ONNX model file or an SAE weights file. */
function fileKind(name: string): HubKind | null {
  if (name.endsWith('.onnx')) return 'model';
  if (name === 'params.npz') return 'sae';
  return null;
}

/** Lists `dir` (absolute): subfolders first, hidden entries left out, each marked when it looks like a model or SAE. */
export function browseFolder(dir: string | undefined, fallback: string): LocalFolder {
  const start = dir ?? (fs.existsSync(fallback) ? fallback : os.homedir());
  if (!path.isAbsolute(start)) throw new AppError('bad_request', `"${start}" is not an absolute path`);
  const abs = path.resolve(start);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(abs, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AppError('not_found', `${abs}: no such folder`);
    if (code === 'ENOTDIR') throw new AppError('bad_request', `${abs}: not a folder`);
    throw new AppError('forbidden', `${abs}: cannot be read (${code ?? (e as Error).message})`);
  }
  const isDir = (e: fs.Dirent): boolean => {
    if (e.isDirectory()) return true;
    if (!e.isSymbolicLink()) return false;
    try {
      return fs.statSync(path.join(abs, e.name)).isDirectory();
    } catch {
      return false;
    }
  };
  const kindOfDir = (p: string): HubKind | null => {
    try {
      const inner = fs.readdirSync(p, { withFileTypes: true });
      const names = new Set(inner.filter((x) => !x.isDirectory()).map((x) => x.name));
      const onnxSub =
        inner.some((x) => x.name === 'onnx' && isDirIn(p, x)) && fs.readdirSync(path.join(p, 'onnx')).some((n) => n.endsWith('.onnx'));
      return folderKind(names, onnxSub);
    } catch {
      return null;
    }
  };
  const listed = entries
    .filter((e) => !e.name.startsWith('.'))
    .map((e) => {
      const p = path.join(abs, e.name);
      const d = isDir(e);
      return { name: e.name, path: p, dir: d, kind: d ? kindOfDir(p) : fileKind(e.name) };
    })
    .sort((a, b) => Number(b.dir) - Number(a.dir) || a.name.localeCompare(b.name))
    .slice(0, MAX_ENTRIES);
  const parent = path.dirname(abs);
  return { dir: abs, parent: parent === abs ? null : parent, entries: listed };
}

function isDirIn(dir: string, e: fs.Dirent): boolean {
  if (e.isDirectory()) return true;
  try {
    return e.isSymbolicLink() && fs.statSync(path.join(dir, e.name)).isDirectory();
  } catch {
    return false;
  }
}
