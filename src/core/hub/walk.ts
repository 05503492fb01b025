import fs from 'node:fs';
import path from 'node:path';

/** A file found by `filesUnder`. */
export interface FoundFile {
  /** Its path below the walked folder, `/`-separated on every platform. */
  readonly path: string;
  /** Its path on disk. */
  readonly file: string;
  /** Its size in bytes (of the target, for a link). */
  readonly size: number;
}

/**
 * Every file below `dir`, recursively. Links are followed (a snapshot's entries are links
 * into blobs/); dangling links and folders that cannot be read are passed over, so a
 * missing `dir` gives nothing.
 */
export function filesUnder(dir: string): FoundFile[] {
  const out: FoundFile[] = [];
  const walk = (abs: string, rel: string): void => {
    let names: string[];
    try {
      names = fs.readdirSync(abs);
    } catch {
      return;
    }
    for (const name of names) {
      const file = path.join(abs, name);
      const p = rel ? `${rel}/${name}` : name;
      let stat: fs.Stats;
      try {
        stat = fs.statSync(file);
      } catch {
        continue;
      }
      if (stat.isDirectory()) walk(file, p);
      else out.push({ path: p, file, size: stat.size });
    }
  };
  walk(dir, '');
  return out;
}
