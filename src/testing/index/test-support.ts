/**
 * Helpers for the index tests: small deterministic corpora, a BOS-trained copy of a
 * reference case, and a full dump of an index for equality checks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { referenceCases, type ReferenceCase } from '../fixtures.ts';
import { seededRandom } from '../../core/util/random.ts';
import { decodeChunk } from '../../core/index/codec.ts';
import { IndexReader } from '../../core/index/reader.ts';

const WORDS = (
  'the of and to in is it that was for on are with as his they at be this from have or by one had not but what all were when we ' +
  'there can an your which their said if do will each about how up out them then she many some so these would other into has more ' +
  'her two like him see time could no make than first been its who now people my made over did down only way find use may water long'
).split(' ');

/** A reference case by name (throws when the fixtures are missing). */
export function referenceCase(name: string): ReferenceCase {
  const c = referenceCases().find((r) => r.name === name);
  if (!c) throw new Error(`reference case ${name} not found (../shared/fixtures/reference or test/fixtures/reference-extra)`);
  return c;
}

/** `n` documents of random words (some empty, lengths vary), one JSON object per line. */
export function writeJsonlCorpus(file: string, n: number, seed = 1, maxWords = 60): void {
  const rand = seededRandom(seed);
  const lines: string[] = [];
  for (let d = 0; d < n; d++) {
    const words = d % 7 === 3 ? 0 : 1 + Math.floor(rand() * maxWords);
    const text = Array.from({ length: words }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
    lines.push(JSON.stringify({ id: d, text }));
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

/** Copies a reference case with a BOS: bos_token_id in config.json and prepend_bos in the SAE cfg. */
export function bosCase(from: ReferenceCase, dir: string, bosId = 0): { modelDir: string; saeDir: string } {
  const modelDir = path.join(dir, 'model');
  const saeDir = path.join(dir, 'sae');
  fs.cpSync(from.modelDir, modelDir, { recursive: true });
  fs.cpSync(from.saeDir, saeDir, { recursive: true });
  const cfgFile = path.join(modelDir, 'config.json');
  fs.writeFileSync(cfgFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(cfgFile, 'utf8')), bos_token_id: bosId }));
  const saeCfg = path.join(saeDir, 'cfg.json');
  fs.writeFileSync(saeCfg, JSON.stringify({ ...JSON.parse(fs.readFileSync(saeCfg, 'utf8')), prepend_bos: true }));
  return { modelDir, saeDir };
}

/** Everything an index answers, for comparing two indexes (settings paths left out). */
export function dumpIndex(file: string): unknown {
  const r = new IndexReader(file);
  try {
    const s = r.settings;
    const features = [];
    for (let f = 0; f < s.dSae; f++) features.push(r.feature(f, 3));
    const windows = r.db.prepare('select id, doc, idx, bos, hex(tokens) as t from windows order by id').all();
    const documents = r.db.prepare('select * from documents order by id').all();
    const acts: Record<number, number[]> = {};
    const rows = r.db.prepare('select feature, first, n, data from chunks order by feature, first').all() as {
      feature: number;
      first: number;
      n: number;
      data: Buffer;
    }[];
    for (const c of rows) {
      const pos = new Float64Array(c.n);
      const val = new Float32Array(c.n);
      decodeChunk(c.data, c.first, c.n, pos, val);
      (acts[c.feature] ??= []).push(...Array.from(pos).flatMap((p, i) => [p, val[i]!]));
    }
    const { batches: _b, ...progress } = r.progress;
    void _b;
    const topTokens = r.db.prepare('select token, feature, hits from top_tokens order by token, feature').all();
    const tokenText = r.db.prepare('select * from token_text order by token').all();
    const cooccurrence = r.db.prepare('select feature, hex(data) as data from cooccurrence order by feature').all();
    return { summary: r.summary, progress, features, windows, documents, acts, topTokens, tokenText, cooccurrence };
  } finally {
    r.close();
  }
}
