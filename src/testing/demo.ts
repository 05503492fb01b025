import fs from 'node:fs';
import path from 'node:path';
import { referenceCases } from './fixtures.ts';

/**
 * Writes `<resources>/demo` in the embedded demo's layout (model/, sae/, corpus.jsonl) from
 * the reference case named `fixture`, with one corpus line (as JSON) per entry of `corpus`:
 * a small stand-in for the demo, so a first run that indexes it stays quick. Returns the
 * demo folder.
 */
export function writeStandInDemo(resources: string, fixture: string, corpus: readonly unknown[]): string {
  const ref = referenceCases().find((c) => c.name === fixture);
  if (!ref) throw new Error(`reference case ${fixture} not found`);
  const dir = path.join(resources, 'demo');
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(ref.modelDir, path.join(dir, 'model'), { recursive: true });
  fs.cpSync(ref.saeDir, path.join(dir, 'sae'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'corpus.jsonl'), `${corpus.map((d) => JSON.stringify(d)).join('\n')}\n`);
  return dir;
}
