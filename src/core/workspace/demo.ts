import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Selection } from '#shared/workspace-types.ts';

/** Environment variable naming the folder that holds `demo/` (packaged apps set it from their resources path). */
export const RESOURCES_ENV = 'SAE_EXPLORER_RESOURCES';

const hasDemo = (dir: string): boolean => fs.existsSync(path.join(dir, 'demo', 'model', 'model.onnx'));

/**
 * The resources folder with the embedded demo: the one given, else `$SAE_EXPLORER_RESOURCES`,
 * else the nearest `resources/` above this file (works from src/ under tsx and from the
 * bundled out/main alike).
 */
export function findResources(given?: string): string | undefined {
  for (const d of [given, process.env[RESOURCES_ENV]]) if (d && hasDemo(d)) return d;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'resources');
    if (hasDemo(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}

/** The embedded demo as a selection: its model, TopK SAE and corpus sample. */
export function demoSelection(resources: string): Selection {
  const demo = path.join(resources, 'demo');
  return {
    model: path.join(demo, 'model'),
    sae: path.join(demo, 'sae'),
    corpus: path.join(demo, 'corpus.jsonl'),
    demo: true,
  };
}
