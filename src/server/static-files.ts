import fs from 'node:fs/promises';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { contentType } from '#shared/mime.ts';

/**
 * Sends a file of the built renderer. Paths are resolved inside `root` only; `/` is
 * index.html. Returns false when there is no such file.
 */
export async function sendStatic(res: ServerResponse, root: string, pathname: string, headOnly: boolean): Promise<boolean> {
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    return false;
  }
  if (rel.includes('\0')) return false;
  const file = path.resolve(root, '.' + path.posix.normalize('/' + rel));
  if (file !== root && !file.startsWith(root + path.sep)) return false;
  let target = file;
  try {
    if ((await fs.stat(target)).isDirectory()) target = path.join(target, 'index.html');
    const body = await fs.readFile(target);
    res.statusCode = 200;
    res.setHeader('Content-Type', contentType(target));
    res.setHeader('Content-Length', body.length);
    // Vite puts content hashes in asset names; index.html must always be revalidated.
    const hashed = target.includes(`${path.sep}assets${path.sep}`);
    res.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    res.end(headOnly ? undefined : body);
    return true;
  } catch {
    return false;
  }
}
