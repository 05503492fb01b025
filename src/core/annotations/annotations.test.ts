/** The annotation requests through core's dispatcher, on a real SQLite file and a real fixture SAE. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { PayloadInput, RequestName, ResultOf } from '#shared/contract.ts';
import type { Annotation } from '#shared/annotation-types.ts';
import { createCore, type Core } from '../host/core.ts';
import { loadSae } from '../sae/load.ts';
import { referenceCase } from '#testing/index/test-support.ts';
import { referenceCases } from '#testing/fixtures.ts';
import { csvField } from './export.ts';
import { saeWeightsFile } from './identity.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'annotations-'));
const ref = referenceCase('gpt2-topk-l1post');
const cores: Core[] = [];
after(async () => {
  for (const c of cores) await c.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function openCore(name: string, sae = ref.saeDir): Promise<Core> {
  const core = createCore({ host: 'cli', data: { flag: path.join(tmp, name) } });
  cores.push(core);
  const r = await core.request('workspace.open', { model: ref.modelDir, sae });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return core;
}

async function ask<K extends RequestName>(core: Core, name: K, payload?: PayloadInput<K>): Promise<ResultOf<K>> {
  const r = await core.request(name, payload);
  if (!r.ok) throw new Error(`${name}: ${r.error.code}: ${r.error.message}`);
  return r.value;
}

/** The result of a JSON import that conflicts with nothing and leaves nothing out. */
function jsonResult(counts: { added?: number; updated?: number; unchanged?: number }): ResultOf<'annotation.import'> {
  return {
    format: 'json',
    dryRun: false,
    added: counts.added ?? 0,
    updated: counts.updated ?? 0,
    unchanged: counts.unchanged ?? 0,
    conflicts: [],
    explanationsAdded: 0,
    skipped: [],
    sources: [],
    matchedId: null,
    warning: null,
  };
}

/** A minimal RFC 4180 reader (quoted fields, doubled quotes, CRLF), written apart from the exporter. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

describe('annotations', () => {
  let core: Core;
  before(async () => {
    core = await openCore('main');
  });

  test('identity: the SHA-256 of the SAE weights file, with the engine hook and width', async () => {
    const id = await ask(core, 'annotation.identity');
    const sae = loadSae(ref.saeDir);
    const expected = crypto.createHash('sha256').update(fs.readFileSync(sae.source.weightsFile)).digest('hex');
    assert.equal(id.saeHash, expected);
    assert.equal(id.dSae, sae.config.dSae);
    assert.equal(id.hook, ref.expected.hook);
    assert.equal(id.sae, path.resolve(ref.saeDir));
    // the weights-file rule agrees with the loader's on every fixture
    for (const c of referenceCases()) assert.equal(saeWeightsFile(c.saeDir), loadSae(c.saeDir).source.weightsFile, c.name);
  });

  test('set changes only the given fields, get and all answer them, clearing everything removes the annotation', async () => {
    assert.equal(await ask(core, 'annotation.get', { feature: 5 }), null);
    const a = await ask(core, 'annotation.set', { feature: 5, label: 'Paris, France' });
    assert.equal(a.label, 'Paris, France');
    assert.deepEqual([a.notes, a.tags, a.starred, a.lists], ['', [], false, []]);
    const b = await ask(core, 'annotation.set', { feature: 5, tags: ['geo', ' geo ', 'city'], starred: true, lists: ['todo', 'best'] });
    assert.equal(b.label, 'Paris, France');
    assert.deepEqual(b.tags, ['geo', 'city']);
    assert.deepEqual(b.lists, ['best', 'todo']);
    assert.ok(b.updatedAt >= a.updatedAt);
    assert.deepEqual(await ask(core, 'annotation.get', { feature: 5 }), b);
    await ask(core, 'annotation.set', { feature: 9, notes: 'fires on "quotes",\nand newlines', lists: ['todo'] });
    assert.deepEqual(
      (await ask(core, 'annotation.all')).map((x) => x.feature),
      [5, 9],
    );
    assert.deepEqual(await ask(core, 'annotation.lists'), [
      { name: 'best', count: 1 },
      { name: 'todo', count: 2 },
    ]);
    await ask(core, 'annotation.set', { feature: 9, notes: '', lists: [] });
    assert.equal(await ask(core, 'annotation.get', { feature: 9 }), null);
    assert.deepEqual(await ask(core, 'annotation.lists'), [
      { name: 'best', count: 1 },
      { name: 'todo', count: 1 },
    ]);
    const bad = await core.request('annotation.set', { feature: 512, label: 'x' });
    assert.equal(!bad.ok && bad.error.code, 'bad_request');
  });

  test('a set is committed before its reply: a child process killed with SIGKILL right after loses nothing', async () => {
    const data = path.join(tmp, 'crash');
    fs.mkdirSync(data, { recursive: true });
    fs.writeFileSync(path.join(data, 'settings.json'), JSON.stringify({ selection: { model: ref.modelDir, sae: ref.saeDir } }));
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata', 'crash-child.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, data, '17', 'survives a kill'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.on('exit', (code) => reject(new Error(`the child exited (${code}) before answering`)));
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    assert.equal((JSON.parse(line) as { ok: boolean }).ok, true, line);
    const db = new Database(path.join(data, 'annotations.sqlite'), { readonly: true });
    try {
      const row = db.prepare('select label, tags from annotations where feature = 17').get() as { label: string; tags: string };
      assert.deepEqual(row, { label: 'survives a kill', tags: '["crash"]' });
      const fts = db.prepare("select rowid from annotations_fts where annotations_fts match 'survives'").all();
      assert.equal(fts.length, 1, 'the FTS index was committed with the row');
    } finally {
      db.close();
    }
  });

  test('export: JSON round-trips through import into another data folder; CSV quotes; Neuronpedia rows need ids', async () => {
    await ask(core, 'annotation.set', { feature: 30, label: 'commas, "quotes"', notes: 'line 1\r\nline 2', tags: ['a'], lists: ['l1'] });
    const all = await ask(core, 'annotation.all');
    const json = await ask(core, 'annotation.export', { format: 'json' });
    assert.equal(json.count, all.length);
    // named after the SAE's folder while it has no Neuronpedia ids
    assert.equal(json.filename, 'sae.annotations.json');
    const other = await openCore('other');
    const result = await ask(other, 'annotation.import', { content: json.content });
    assert.deepEqual(result, jsonResult({ added: all.length }));
    assert.deepEqual(await ask(other, 'annotation.all'), all);
    // importing the same file again changes nothing
    const again = await ask(other, 'annotation.import', { content: json.content });
    assert.deepEqual(again, jsonResult({ unchanged: all.length }));

    const csv = await ask(core, 'annotation.export', { format: 'csv' });
    const rows = parseCsv(csv.content);
    assert.deepEqual(rows[0], [
      'feature',
      'label',
      'notes',
      'tags',
      'starred',
      'lists',
      'updated_at',
      'explanation',
      'explainer_model',
      'explanation_score',
    ]);
    assert.equal(rows.length, all.length + 1);
    const r30 = rows.find((r) => r[0] === '30')!;
    assert.deepEqual(r30.slice(0, 6), ['30', 'commas, "quotes"', 'line 1\r\nline 2', 'a', 'false', 'l1']);
    assert.equal(csv.filename, 'sae.annotations.csv');
    assert.equal(csvField('plain'), 'plain');

    // Neuronpedia rows name the SAE's Neuronpedia ids: without any, the export says how to set them
    const refused = await core.request('annotation.export', { format: 'neuronpedia' });
    assert.equal(!refused.ok && refused.error.code, 'bad_request');
    assert.match(refused.ok ? '' : refused.error.message, /no Neuronpedia id.*Models screen/);
    const np = await ask(core, 'annotation.export', { format: 'neuronpedia', neuronpediaId: 'tiny-gpt2/1-res-test' });
    assert.equal(np.filename, 'tiny-gpt2_1-res-test.explanations.jsonl');
    const lines = np.content
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const labelled = all.filter((a) => a.label);
    assert.equal(np.count, labelled.length);
    assert.deepEqual(
      lines.map((l) => [l['modelId'], l['layer'], l['index'], l['description'], l['typeName']]),
      labelled.map((a) => ['tiny-gpt2', '1-res-test', String(a.feature), a.label, null]),
    );
  });

  test('import merges: empty fields filled, tags and lists united, star kept, differing labels reported as conflicts', async () => {
    const target = await openCore('merge');
    await ask(target, 'annotation.set', { feature: 1, label: 'ours', tags: ['x'], starred: true });
    await ask(target, 'annotation.set', { feature: 2, notes: 'our notes' });
    await ask(target, 'annotation.set', { feature: 3, label: 'same' });
    const before = await ask(target, 'annotation.all');
    const id = await ask(target, 'annotation.identity');
    const theirs: Partial<Annotation>[] = [
      { feature: 1, label: 'theirs', notes: 'their notes', tags: ['y', 'x'], starred: false, lists: ['L'] },
      { feature: 2, label: 'their label', notes: 'our notes' },
      { feature: 3, label: 'same' },
      { feature: 4, label: 'new' },
      { feature: 9999, label: 'beyond the SAE' },
    ];
    const file = {
      format: 'sae-explorer-annotations',
      version: 1,
      identity: { ...id, saeHash: 'f'.repeat(64), sae: '/elsewhere/sae' },
      annotations: theirs,
    };
    // another SAE's file is refused, naming both SAEs, and changes nothing
    const refused = await target.request('annotation.import', { content: JSON.stringify(file) });
    assert.equal(!refused.ok && refused.error.code, 'conflict');
    const why = refused.ok ? '' : refused.error.message;
    assert.ok(why.includes('/elsewhere/sae') && why.includes('ffffffffffff'), why);
    assert.ok(why.includes(id.sae) && why.includes(id.saeHash.slice(0, 12)), why);
    assert.deepEqual(await ask(target, 'annotation.all'), before, 'nothing merged');
    // the same file for this SAE needs no force
    const ownFile = { ...file, identity: id, annotations: [{ feature: 5, label: 'own file' }] };
    assert.equal((await ask(target, 'annotation.import', { content: JSON.stringify(ownFile) })).added, 1);
    assert.deepEqual(
      await ask(target, 'annotation.import', { content: JSON.stringify(ownFile), force: true }),
      jsonResult({ unchanged: 1 }),
    );

    // a dry run reports the merge and writes nothing
    const dry = await ask(target, 'annotation.import', { content: JSON.stringify(file), force: true, dryRun: true });
    assert.deepEqual([dry.dryRun, dry.added, dry.updated, dry.unchanged], [true, 1, 2, 1]);
    assert.equal(await ask(target, 'annotation.get', { feature: 4 }), null, 'nothing written by the dry run');

    // with force, it is merged and the warning says whose it was
    const r = await ask(target, 'annotation.import', { content: JSON.stringify(file), force: true });
    assert.equal(r.added, 1);
    assert.equal(r.updated, 2);
    assert.equal(r.unchanged, 1);
    assert.deepEqual(r.conflicts, [{ feature: 1, field: 'label', ours: 'ours', theirs: 'theirs' }]);
    assert.match(r.warning ?? '', /\/elsewhere\/sae/);
    assert.match(r.warning ?? '', /1 annotation\(s\) of features beyond/);
    assert.deepEqual(
      r.skipped.map((s) => [s.reason, s.count]),
      [['out-of-range', 1]],
    );
    const f1 = (await ask(target, 'annotation.get', { feature: 1 }))!;
    assert.deepEqual([f1.label, f1.notes, f1.tags, f1.starred, f1.lists], ['ours', 'their notes', ['x', 'y'], true, ['L']]);
    const f2 = (await ask(target, 'annotation.get', { feature: 2 }))!;
    assert.deepEqual([f2.label, f2.notes], ['their label', 'our notes']);
    assert.deepEqual(
      await ask(target, 'annotation.get', { feature: 3 }),
      before.find((a) => a.feature === 3),
    );
    assert.equal((await ask(target, 'annotation.get', { feature: 4 }))?.label, 'new');

    for (const content of [
      'not json',
      '{"format":"other","annotations":[]}',
      JSON.stringify({ ...file, annotations: [{ feature: -1 }] }),
    ]) {
      const bad = await target.request('annotation.import', { content });
      assert.equal(!bad.ok && bad.error.code, 'bad_request', content);
    }
  });

  test('annotations follow the weights: another folder with the same weights sees them', async () => {
    const copy = path.join(tmp, 'sae-copy');
    fs.cpSync(ref.saeDir, copy, { recursive: true });
    const c = createCore({ host: 'cli', data: { flag: path.join(tmp, 'main') } });
    cores.push(c);
    await ask(c, 'workspace.open', { model: ref.modelDir, sae: copy });
    assert.equal((await ask(c, 'annotation.get', { feature: 5 }))?.label, 'Paris, France');
  });
});

test('without an open model, annotation requests say so', async () => {
  const c = createCore({ host: 'cli', data: { flag: path.join(tmp, 'empty') } });
  cores.push(c);
  const r = await c.request('annotation.get', { feature: 1 });
  assert.equal(!r.ok && r.error.code, 'unavailable');
});
