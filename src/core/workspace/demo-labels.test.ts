import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { hashCacheDir, saeHash } from '../annotations/identity.ts';
import { AnnotationService, type AnnotationServiceDeps } from '../annotations/service.ts';
import { resolveDataDir } from '../kernel/data-dir.ts';
import { findResources } from './demo.ts';
import { DEMO_TAG, seedDemoLabels } from './demo-labels.ts';

/** The embedded demo's documented features arrive labelled, once: what the user changes later stays changed. */
const resources = findResources();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-demo-labels-'));
const closers: (() => void | Promise<void>)[] = [];
after(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A data folder with its annotation service (seeding needs neither the file policy nor the workspace). */
function withAnnotations<T extends Pick<AnnotationServiceDeps, 'data' | 'onClose'>>(base: T): T & { annotations: AnnotationService } {
  return { ...base, annotations: new AnnotationService({ ...base, files: null as never, workspace: null as never }) };
}

test('the demo features documented in features.json are labelled once per data folder', { skip: !resources && 'no embedded demo' }, () => {
  const core = withAnnotations({ data: resolveDataDir({ flag: tmp }), onClose: (fn: () => void | Promise<void>) => void closers.push(fn) });
  const { annotations } = core;
  const documented = JSON.parse(fs.readFileSync(path.join(resources!, 'demo', 'features.json'), 'utf8')) as { id: number; label: string }[];
  assert.equal(seedDemoLabels(core, resources), documented.length);

  const store = annotations.store();
  const hash = saeHash(path.join(resources!, 'demo', 'sae'), hashCacheDir(core));
  for (const f of documented) {
    const a = store.get(hash, f.id);
    assert.equal(a?.label, f.label);
    assert.ok(a?.notes.length, `feature ${f.id} has its description as notes`);
    assert.deepEqual(a?.tags, [DEMO_TAG]);
  }

  // the user relabels one and clears another: a later start does not undo it
  const [first, second] = documented;
  store.set(hash, first!.id, { label: 'my label' });
  store.set(hash, second!.id, { label: '' });
  assert.equal(seedDemoLabels(core, resources), 0);
  assert.equal(store.get(hash, first!.id)?.label, 'my label');
  assert.equal(store.get(hash, second!.id)?.label, '');
});

test('without features.json (a stand-in demo) nothing is added', () => {
  const core = withAnnotations({ data: resolveDataDir({ flag: path.join(tmp, 'other') }), onClose: () => {} });
  assert.equal(seedDemoLabels(core, path.join(tmp, 'no-resources')), 0);
  assert.equal(seedDemoLabels(core, undefined), 0);
});
