/**
 * Baselines for bench/explorer-search.ts: what a first version of `feature.search` and
 * decoder similarity would do, without core's in-memory feature table, annotation cache,
 * top-token tables or precomputed norms. They answer the same rows as core (the bench
 * asserts it), so the ratios compare equal work done two ways.
 *
 * - feature lists: per request, `select * from features` and every annotation from SQLite,
 *   each row's histogram decoded into its sparkline, then filter / sort / page in JS;
 * - token search: per request, every feature's dashboard through IndexReader (its top
 *   examples decoded from chunks and windows, token text from the tokenizer), matched in JS;
 * - decoder nearest: a scalar float64 cosine loop over every W_dec row, norms included.
 */
import type Database from 'better-sqlite3';
import type { Payload, PayloadInput } from '../src/shared/contract.ts';
import { featureSearchPayload, type FeatureRow, type FeatureSearchResult } from '../src/shared/explorer-types.ts';
import { ftsQuery } from '../src/core/annotations/store.ts';
import { openDatabase } from '../src/core/kernel/sqlite.ts';
import { parseIds } from '../src/core/explorer/id-query.ts';
import { downsample } from '../src/core/explorer/spark.ts';
import { HISTOGRAM_BINS } from '../src/core/index/bins.ts';
import { decodeVarints } from '../src/core/index/codec.ts';
import { decodeStats } from '../src/core/index/feature-stats.ts';
import type { IndexReader } from '../src/core/index/reader.ts';
import { normTokenText } from '../src/core/index/top-tokens.ts';

/** A feature's row before the query's score is attached. */
type Row = Omit<FeatureRow, 'score' | 'topTokens' | 'explanation' | 'auto'> & { lists: readonly string[] };

/** What a page adds to each row it returns. */
type Extras = (id: number) => Pick<FeatureRow, 'topTokens' | 'explanation'>;

/** A feature's annotation as the baseline reads it. */
interface Ann {
  label: string;
  tags: string[];
  starred: boolean;
  lists: string[];
}

interface AnnotationRow {
  feature: number;
  label: string;
  tags: string;
  starred: number;
}

/** The naive `feature.search`: everything read and derived again on each request. */
export class NaiveSearch {
  readonly #index: Database.Database;
  readonly #ann: Database.Database;

  constructor(
    indexFile: string,
    annotationsFile: string,
    /** The SAE hash annotations are stored under. */
    readonly sae: string,
    readonly dSae: number,
  ) {
    this.#index = openDatabase(indexFile, { readonly: true, fileMustExist: true });
    this.#ann = openDatabase(annotationsFile, { readonly: true, fileMustExist: true });
  }

  #tokens(): number {
    return this.#index.prepare('select tokens from progress where id = 1').pluck().get() as number;
  }

  /** Annotations by feature, with their lists, read now. */
  #annotations(): Map<number, Ann> {
    const out = new Map<number, Ann>();
    for (const a of this.#ann
      .prepare('select feature, label, tags, starred from annotations where sae = ?')
      .all(this.sae) as AnnotationRow[]) {
      out.set(a.feature, { label: a.label, tags: JSON.parse(a.tags) as string[], starred: a.starred !== 0, lists: [] });
    }
    for (const m of this.#ann.prepare('select feature, list from list_members where sae = ?').all(this.sae) as {
      feature: number;
      list: string;
    }[]) {
      out.get(m.feature)?.lists.push(m.list);
    }
    return out;
  }

  /** Every feature's row from `select * from features`, each sparkline decoded. */
  #rows(): Row[] {
    const tokens = this.#tokens();
    const ann = this.#annotations();
    const stats = new Map<number, { count: number; max: number; histogram: Buffer }>();
    for (const r of this.#index.prepare('select * from features').all() as {
      id: number;
      count: number;
      max: number;
      histogram: Buffer;
    }[]) {
      stats.set(r.id, r);
    }
    const rows: Row[] = [];
    for (let id = 0; id < this.dSae; id++) {
      const s = stats.get(id);
      const hist = s ? decodeStats(decodeVarints(s.histogram), []).histogram : new Array<number>(HISTOGRAM_BINS).fill(0);
      rows.push(row(id, s?.count ?? 0, s?.max ?? 0, tokens, hist, ann.get(id)));
    }
    return rows;
  }

  /** Answers a `feature.search` payload (queries all, id, text and token; not similar). */
  search(input: PayloadInput<'feature.search'>, reader?: IndexReader): FeatureSearchResult {
    const p = featureSearchPayload.parse(input);
    const q = p.query;
    if (q.kind === 'token') {
      if (!reader) throw new Error('a token search needs an IndexReader');
      return page(tokenScan(reader, this.#annotations(), q.text, q.exact ?? false), p, true, this.#extras);
    }
    const rows = this.#rows();
    let scored: { row: Row; score: number | null }[];
    switch (q.kind) {
      case 'all':
        scored = rows.map((row) => ({ row, score: null }));
        return page(scored, p, false, this.#extras);
      case 'id':
        scored = parseIds(q.text, this.dSae).ids.map((id) => ({ row: rows[id]!, score: null }));
        return page(scored, p, false, this.#extras);
      case 'text': {
        const fts = ftsQuery(q.text);
        const hits = fts
          ? (this.#ann
              .prepare(
                `select a.feature as feature, -bm25(annotations_fts) as score from annotations_fts
                 join annotations a on a.id = annotations_fts.rowid
                 where annotations_fts match ? and a.sae = ? order by score desc, a.feature`,
              )
              .all(fts, this.sae) as { feature: number; score: number }[])
          : [];
        return page(
          hits.map((h) => ({ row: rows[h.feature]!, score: h.score })),
          p,
          true,
          this.#extras,
        );
      }
      default:
        throw new Error(`the baseline does not answer ${q.kind} queries`);
    }
  }

  /** A row's top tokens (read per row, no cache) and best imported explanation. */
  #extras: Extras = (id) => ({
    topTokens: this.#index
      .prepare(
        'select x.text as text, t.hits as count from top_tokens t join token_text x on x.token = t.token where t.feature = ? order by t.hits desc, t.token limit 3',
      )
      .all(id) as FeatureRow['topTokens'],
    explanation:
      (this.#ann
        .prepare('select description from explanations where sae = ? and feature = ? order by score is null, score desc, id limit 1')
        .pluck()
        .get(this.sae, id) as string | undefined) ?? null,
  });

  close(): void {
    this.#index.close();
    this.#ann.close();
  }
}

function row(id: number, count: number, max: number, tokens: number, histogram: readonly number[], a: Ann | undefined): Row {
  return {
    id,
    count,
    density: tokens > 0 ? count / tokens : 0,
    max,
    spark: downsample(histogram, 16),
    label: a && a.label.trim() !== '' ? a.label : null,
    starred: a?.starred ?? false,
    tags: a?.tags ?? [],
    lists: a?.lists ?? [],
  };
}

/** Every feature's dashboard read through IndexReader; a feature's score is how many of its top examples fire on a matching token. */
function tokenScan(reader: IndexReader, ann: ReadonlyMap<number, Ann>, text: string, exact: boolean): { row: Row; score: number | null }[] {
  const norm = normTokenText(text);
  const needle = norm || text.toLowerCase();
  const tokens = reader.progress.tokens;
  const out: { row: Row; score: number | null }[] = [];
  for (let id = 0; id < reader.settings.dSae; id++) {
    const d = reader.feature(id, 0);
    let hits = 0;
    for (const ex of d.top) {
      const piece = ex.tokens[ex.position - ex.start] ?? '';
      const t = norm ? normTokenText(piece) : piece.toLowerCase();
      if (exact ? t === needle : t.includes(needle)) hits++;
    }
    if (hits) out.push({ row: row(id, d.count, d.max, tokens, d.histogram, ann.get(id)), score: hits });
  }
  return out;
}

/** Filters, sorts and pages scored rows the obvious way. */
function page(
  items: { row: Row; score: number | null }[],
  p: Payload<'feature.search'>,
  scored: boolean,
  extras: Extras,
): FeatureSearchResult {
  const f = p.filters ?? {};
  const keep = items.filter(({ row: r }) => {
    if (f.densityMin !== undefined && r.density < f.densityMin) return false;
    if (f.densityMax !== undefined && r.density > f.densityMax) return false;
    if (f.maxMin !== undefined && r.max < f.maxMin) return false;
    if (f.maxMax !== undefined && r.max > f.maxMax) return false;
    if (f.labelled !== undefined && (r.label !== null) !== f.labelled) return false;
    if (f.starred !== undefined && r.starred !== f.starred) return false;
    if (f.list !== undefined && !r.lists.includes(f.list)) return false;
    return true;
  });
  const byId = p.sort === 'id' || (p.sort === 'relevance' && !scored);
  const desc = (p.order ?? (byId ? 'asc' : 'desc')) === 'desc';
  const key = (x: { row: Row; score: number | null }): number =>
    byId ? x.row.id : p.sort === 'relevance' ? (x.score ?? -Infinity) : p.sort === 'max' ? x.row.max : x.row.count;
  keep.sort((a, b) => {
    const d = desc ? key(b) - key(a) : key(a) - key(b);
    return d !== 0 ? d : a.row.id - b.row.id;
  });
  const rows = keep.slice(p.offset, p.offset + p.limit).map(({ row: r, score }): FeatureRow => {
    const { lists: _lists, ...rest } = r;
    return { ...rest, ...extras(r.id), auto: null, score };
  });
  return { total: keep.length, rows, note: null };
}

/** Decoder-cosine nearest features, the plain way: float64 sums, every norm computed per query. */
export function scalarNearest(W: Float32Array, dSae: number, dIn: number, id: number, n: number): { id: number; cosine: number }[] {
  const q = id * dIn;
  let qq = 0;
  for (let j = 0; j < dIn; j++) qq += W[q + j]! * W[q + j]!;
  const all: { id: number; cosine: number }[] = [];
  for (let r = 0; r < dSae; r++) {
    if (r === id) continue;
    const o = r * dIn;
    let dot = 0;
    let rr = 0;
    for (let j = 0; j < dIn; j++) {
      dot += W[o + j]! * W[q + j]!;
      rr += W[o + j]! * W[o + j]!;
    }
    all.push({ id: r, cosine: qq > 0 && rr > 0 ? dot / Math.sqrt(qq * rr) : 0 });
  }
  all.sort((a, b) => b.cosine - a.cosine || a.id - b.id);
  return all.slice(0, n);
}
