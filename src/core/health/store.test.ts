import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { openStore } from '../kernel/open-store.ts';
import { STORE_KINDS } from '../kernel/store-kinds.ts';
import { migrations } from './migrations/index.ts';
import { HealthStore, type NewReport } from './store.ts';

/**
 * health.sqlite: a report's identity is (model, SAE, hook, corpus, token budget, context,
 * text field), so evaluations that differ only in their windows or text field are kept
 * apart; a file made before context and text field were in the key stays readable.
 */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-health-store-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A report with made-up figures; `over` sets the identity fields under test. */
function report(over: Partial<NewReport> = {}): NewReport {
  return {
    model: '/m',
    sae: '/s',
    hook: 'blocks.0.hook_resid_pre',
    corpus: '/c.jsonl',
    max_tokens: 1000,
    context: 128,
    text_field: 'text',
    architecture: 'topk',
    l0: 8,
    l1: 1,
    mse: 0.1,
    fvu: 0.2,
    variance_explained: 0.8,
    ce_clean: 4,
    ce_recon: 4.5,
    ce_zero: 9,
    ce_loss_recovered: 0.9,
    kl_recon: 0.4,
    kl_zero: 5,
    dead: 1,
    dense: 2,
    d_sae: 16,
    density_histogram: [],
    tokens: 1000,
    predictions: 990,
    documents: 10,
    windows: 10,
    bos: 'none',
    density_source: 'evaluation',
    provider: 'cpu',
    seconds: 1,
    created_at: 1,
    ...over,
  };
}

describe('health store', () => {
  test('context and text field are part of a report’s identity', () => {
    const store = new HealthStore(path.join(tmp, 'identity.sqlite'));
    try {
      const at128 = store.put(report({ created_at: 1 }));
      const at64 = store.put(report({ context: 64, l0: 7, created_at: 2 }));
      const title = store.put(report({ text_field: 'title', l0: 6, created_at: 3 }));
      assert.equal(new Set([at128.id, at64.id, title.id]).size, 3, 'three evaluations, three rows');
      assert.deepEqual(
        store.list().map((r) => [r.context, r.text_field, r.l0]),
        [
          [128, 'title', 6],
          [64, 'text', 7],
          [128, 'text', 8],
        ],
      );
      const q = { model: '/m', sae: '/s', hook: null, corpus: '/c.jsonl', maxTokens: 1000 };
      assert.equal(store.find({ ...q, context: 64 })?.id, at64.id);
      assert.equal(store.find({ ...q, context: 128, textField: 'text' })?.id, at128.id);
      assert.equal(store.find({ ...q, textField: 'title' })?.id, title.id);
      assert.equal(store.find(q)?.id, title.id, 'without context and text field: the newest');
      assert.equal(store.find({ ...q, context: 32 }), null);
      // the same identity again replaces its row
      const again = store.put(report({ context: 64, l0: 5, created_at: 4 }));
      assert.equal(again.id, at64.id);
      assert.equal(store.byId(at64.id)?.l0, 5);
      assert.equal(store.list().length, 3);
    } finally {
      store.close();
    }
  });

  test('a file made before migration 2 keeps its reports, keyed by their context and the default text field', () => {
    const file = path.join(tmp, 'v1.sqlite');
    const v1 = openStore(file, { kind: STORE_KINDS.health, migrations: migrations.slice(0, 1), synchronous: 'NORMAL' });
    // a report as migration 1's code stored it: no text_field in its JSON
    const { text_field: _, ...old } = report({ context: 64, created_at: 5 });
    v1.prepare('insert into evaluations (model, sae, hook, corpus, max_tokens, created_at, report) values (?, ?, ?, ?, ?, ?, ?)').run(
      old.model,
      old.sae,
      old.hook,
      old.corpus,
      old.max_tokens,
      old.created_at,
      JSON.stringify(old),
    );
    v1.close();

    const store = new HealthStore(file);
    try {
      assert.equal(store.db.pragma('user_version', { simple: true }), migrations.length);
      const [kept] = store.list();
      assert.deepEqual(kept, { ...old, text_field: 'text', id: kept!.id });
      const q = { model: '/m', sae: '/s', hook: 'blocks.0.hook_resid_pre', corpus: '/c.jsonl' };
      assert.equal(store.find({ ...q, context: 64, textField: 'text' })?.id, kept!.id);
      // another context is another report; the same identity replaces the old row
      store.put(report({ context: 128, created_at: 6 }));
      const replaced = store.put(report({ context: 64, l0: 3, created_at: 7 }));
      assert.equal(replaced.id, kept!.id);
      assert.equal(store.list().length, 2);
    } finally {
      store.close();
    }
  });
});
