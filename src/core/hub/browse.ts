/**
 * A local folder's listing for the Models screen's folder picker, which must work the same
 * in the desktop app and in a browser talking to the serve host (no native dialog there).
 * It lists only what the API may reach (core's FileAccess): the allowed roots, and folders
 * inside them.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FileRootKind } from '#shared/file-types.ts';
import type { HubKind, LocalFolder } from '#shared/hub-types.ts';
import { AppError } from '#shared/reply.ts';
import type { FileAccess } from '../kernel/file-access.ts';
import { parseSaeLensCfg, parseSparsifyCfg, readCfgJson } from '../sae/cfg.ts';
import { folderKind } from './scan.ts';
import { errorMessage } from '#shared/error-message.ts';

/** Entries listed at most (a folder with more is cut, folders first). */
const MAX_ENTRIES = 2000;

/** What a file looks like on its own: an ONNX model file or an SAE weights file. */
function fileKind(file: string): HubKind | null {
  const name = path.basename(file);
  if (name.endsWith('.onnx')) return 'model';
  if (name === 'params.npz') return 'sae';
  return null;
}

/** How each kind of root is named in the list of roots. */
const rootNames: Record<FileRootKind, string> = {
  data: 'Data folder',
  'hf-cache': 'HuggingFace cache',
  demo: 'Embedded demo',
  granted: 'Granted',
};

/**
 * Lists `dir` (absolute, inside an allowed root): subfolders first, hidden entries and entries
 * leading out of the roots left out, each marked when it looks like a model or SAE. Without
 * `dir`: the allowed roots that exist.
 */
export function browseFolder(dir: string | undefined, files: FileAccess, canPick: boolean): LocalFolder {
  if (dir === undefined) return { dir: null, parent: null, entries: rootEntries(files), canPick };
  if (!path.isAbsolute(dir)) throw new AppError('bad_request', `"${dir}" is not an absolute path`);
  const abs = files.resolveRead(dir, 'folder');
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(abs, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AppError('not_found', `${abs}: no such folder`);
    if (code === 'ENOTDIR') throw new AppError('bad_request', `${abs}: not a folder`);
    throw new AppError('forbidden', `${abs}: cannot be read (${code ?? (e as Error).message})`);
  }
  const allowed = files.checker();
  const listed = entries
    .filter((e) => !e.name.startsWith('.'))
    .map((e) => path.join(abs, e.name))
    .filter(allowed)
    .map((p) => {
      const d = isDirectory(p);
      return { name: path.basename(p), path: p, dir: d, ...(d ? kindOfDir(p) : { kind: fileKind(p) }) };
    })
    .sort((a, b) => Number(b.dir) - Number(a.dir) || a.name.localeCompare(b.name))
    .slice(0, MAX_ENTRIES);
  const parent = path.dirname(abs);
  return { dir: abs, parent: parent !== abs && allowed(parent) ? parent : null, entries: listed, canPick };
}

function rootEntries(files: FileAccess): LocalFolder['entries'] {
  return files
    .roots()
    .filter((r) => fs.existsSync(r.path))
    .map((r) => {
      const d = isDirectory(r.path);
      const name = r.kind === 'granted' ? r.path : `${rootNames[r.kind]} (${r.path})`;
      return { name, path: r.path, dir: d, ...(d ? kindOfDir(r.path) : { kind: fileKind(r.path) }), root: r.kind };
    });
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** What a folder looks like; an SAE folder only when its cfg.json reads as the loader reads it (else why not). */
function kindOfDir(p: string): { kind: HubKind | null; problem?: string } {
  try {
    const inner = fs.readdirSync(p, { withFileTypes: true });
    const names = new Set(inner.filter((x) => !x.isDirectory()).map((x) => x.name));
    const onnxSub =
      inner.some((x) => x.name === 'onnx' && isDirIn(p, x)) && fs.readdirSync(path.join(p, 'onnx')).some((n) => n.endsWith('.onnx'));
    const kind = folderKind(names, onnxSub);
    const problem = kind === 'sae' && names.has('cfg.json') ? saeCfgProblem(p, names) : null;
    return problem ? { kind: null, problem } : { kind };
  } catch {
    return { kind: null };
  }
}

/** Why an SAE folder's cfg.json would not load (src/core/sae/cfg.ts), or null when it reads. */
function saeCfgProblem(dir: string, names: ReadonlySet<string>): string | null {
  const file = path.join(dir, 'cfg.json');
  try {
    const raw = readCfgJson(file);
    if (names.has('sae_weights.safetensors')) parseSaeLensCfg(raw, file);
    else parseSparsifyCfg(raw, file, undefined);
    return null;
  } catch (e) {
    return errorMessage(e);
  }
}

function isDirIn(dir: string, e: fs.Dirent): boolean {
  if (e.isDirectory()) return true;
  try {
    return e.isSymbolicLink() && fs.statSync(path.join(dir, e.name)).isDirectory();
  } catch {
    return false;
  }
}
