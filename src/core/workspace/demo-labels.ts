/**
 * The embedded demo's documented features (`resources/demo/features.json`: label and
 * description of each) arrive as annotations, so the demo's feature list opens labelled.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { AnnotationService } from '../annotations/service.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { readSettings, writeSettings } from './settings.ts';

const documented = z.array(z.object({ id: z.number().int().nonnegative(), label: z.string(), description: z.string() }));

/** The tag the demo's documented features carry. */
export const DEMO_TAG = 'demo';

/**
 * Merges the labels and descriptions of the demo's documented features into the annotations
 * of the demo SAE, once per data folder (settings.json remembers it), so a label the user
 * changed or cleared later stays as they left it; labels already there are kept. Returns how
 * many were added or filled in (0 when done before, or when there is no features.json).
 */
export function seedDemoLabels(
  core: Pick<Kernel, 'data'> & { readonly annotations: AnnotationService },
  resources: string | undefined,
): number {
  const demo = resources && path.join(resources, 'demo');
  const file = demo && path.join(demo, 'features.json');
  if (!demo || !file || !fs.existsSync(file)) return 0;
  const hash = core.annotations.saeKey(path.join(demo, 'sae'));
  const settings = readSettings(core.data.dir);
  if (settings.demoLabels?.includes(hash)) return 0;
  const features = documented.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  const merged = core.annotations.store().merge(
    hash,
    features.map((f) => ({ feature: f.id, label: f.label, notes: f.description, tags: [DEMO_TAG] })),
  );
  writeSettings(core.data.dir, { ...readSettings(core.data.dir), demoLabels: [...(settings.demoLabels ?? []), hash] });
  return merged.added + merged.updated;
}
