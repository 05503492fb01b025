import fs from 'node:fs/promises';
import path from 'node:path';

/** Why a request path does not map to a file: a malformed path (400) or no such file (404). */
export type RendererPathRefusal = 'bad-path' | 'not-found';

/** The file a request path maps to, or why it does not. */
export type RendererPath = { readonly file: string } | { readonly refused: RendererPathRefusal };

/**
 * Maps the path of an app URL (`url.pathname`, still percent-encoded) to a regular file
 * inside `root`, or refuses it. `/` is index.html. Refused as bad paths: undecodable
 * escapes, `.`/`..` segments (also as %2e%2e), backslashes, NUL, `//`, drive letters and
 * other absolute forms. Refused as not found: anything whose real path (symlinks resolved, in
 * the root as well) lies outside the real root, directories and missing files.
 */
export async function resolveRendererPath(root: string, pathname: string): Promise<RendererPath> {
  const segments = requestSegments(pathname);
  if (!segments) return { refused: 'bad-path' };
  const candidate = path.join(path.resolve(root), ...(segments.length === 0 ? ['index.html'] : segments));
  try {
    const [realRoot, real] = await Promise.all([fs.realpath(root), fs.realpath(candidate)]);
    if (!isInside(realRoot, real)) return { refused: 'not-found' };
    const stats = await fs.stat(real);
    return stats.isFile() ? { file: real } : { refused: 'not-found' };
  } catch {
    return { refused: 'not-found' };
  }
}

/** The decoded path segments of `pathname` (empty for `/`), or undefined when unsafe. */
function requestSegments(pathname: string): string[] | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  // A backslash is a separator on Windows, '//' starts an absolute (or UNC) path.
  if (decoded.includes('\\') || decoded.includes('\0') || decoded.includes('//')) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '');
  for (const s of segments) {
    if (s === '.' || s === '..' || s.includes(':')) return undefined;
  }
  return segments;
}

function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel);
}
