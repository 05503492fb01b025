/**
 * annotations.sqlite: labels, notes, tags, stars and named lists per (SAE hash, feature).
 * Every change is one transaction in a WAL database with synchronous=FULL, so a change is
 * on disk before the request that made it resolves.
 */
import type Database from 'better-sqlite3';
import type { Annotation, AnnotationConflict, AnnotationImportResult, AnnotationList, SaeIdentity } from '#shared/annotation-types.ts';
import type { NeuronpediaId } from '#shared/neuronpedia.ts';
import { AppError } from '#shared/reply.ts';
import { openStore } from '../kernel/open-store.ts';
import { STORE_KINDS } from '../kernel/store-kinds.ts';
import { ExplanationStore } from './explanation-store.ts';
import { migrations } from './migrations/index.ts';

/** The fields `set` may change (absent = unchanged). */
export interface AnnotationPatch {
  readonly label?: string | undefined;
  readonly notes?: string | undefined;
  readonly tags?: readonly string[] | undefined;
  readonly starred?: boolean | undefined;
  readonly lists?: readonly string[] | undefined;
}

/** An annotation as an import file carries it (every field but `feature` may be missing). */
export interface ImportedAnnotation extends AnnotationPatch {
  readonly feature: number;
  readonly updatedAt?: number | undefined;
}

/** A feature's annotation score for a text search (higher is better). */
export interface TextHit {
  readonly feature: number;
  readonly score: number;
}

interface Row {
  feature: number;
  label: string;
  notes: string;
  tags: string;
  starred: number;
  updated_at: number;
}

/** Trimmed, without blanks and repeats, in first-seen order. */
function uniq(xs: readonly string[]): string[] {
  const out: string[] = [];
  for (const x of xs) {
    const t = x.trim();
    if (t && !out.includes(t)) out.push(t);
  }
  return out;
}

function parseTags(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

const isEmpty = (a: Omit<Annotation, 'feature' | 'updatedAt'>): boolean =>
  a.label === '' && a.notes === '' && a.tags.length === 0 && !a.starred && a.lists.length === 0;

/**
 * Plain words become prefix terms that must all match (`pari lab` → `"pari"* "lab"*`);
 * text using FTS5 syntax (quotes, `*`, `:`, parentheses, AND/OR/NOT/NEAR) is passed as is.
 * Null when nothing searchable is left.
 */
export function ftsQuery(text: string): string | null {
  if (/["*:()^]|\b(AND|OR|NOT|NEAR)\b/.test(text)) return text;
  const words = text.match(/[\p{L}\p{N}_]+/gu) ?? [];
  return words.length ? words.map((w) => `"${w}"*`).join(' ') : null;
}

/** What a merge of JSON annotations reports (the import adds format, skips and sources). */
export type MergeResult = Pick<AnnotationImportResult, 'added' | 'updated' | 'unchanged' | 'conflicts'>;

/** The one annotations database of a data folder. */
export class AnnotationStore {
  readonly db: Database.Database;
  /** Explanations imported from Neuronpedia, in the same database. */
  readonly explanations: ExplanationStore;
  #version = 0;
  readonly #row: Database.Statement;
  readonly #rows: Database.Statement;
  readonly #listsOf: Database.Statement;
  readonly #allLists: Database.Statement;
  readonly #upsert: Database.Statement;
  readonly #delete: Database.Statement;
  readonly #clearLists: Database.Statement;
  readonly #addList: Database.Statement;

  constructor(readonly file: string) {
    // FULL: each commit is synced before set() returns, so even power loss keeps it
    this.db = openStore(file, { kind: STORE_KINDS.annotations, migrations, synchronous: 'FULL', busyTimeoutMs: 5000 });
    this.#row = this.db.prepare('select feature, label, notes, tags, starred, updated_at from annotations where sae = ? and feature = ?');
    this.#rows = this.db.prepare('select feature, label, notes, tags, starred, updated_at from annotations where sae = ? order by feature');
    this.#listsOf = this.db.prepare('select list from list_members where sae = ? and feature = ? order by list').pluck();
    this.#allLists = this.db.prepare('select feature, list from list_members where sae = ? order by list');
    this.#upsert = this.db.prepare(
      `insert into annotations (sae, feature, label, notes, tags, starred, updated_at) values (@sae, @feature, @label, @notes, @tags, @starred, @updatedAt)
       on conflict (sae, feature) do update set label = excluded.label, notes = excluded.notes, tags = excluded.tags,
         starred = excluded.starred, updated_at = excluded.updated_at`,
    );
    this.#delete = this.db.prepare('delete from annotations where sae = ? and feature = ?');
    this.#clearLists = this.db.prepare('delete from list_members where sae = ? and feature = ?');
    this.#addList = this.db.prepare('insert or ignore into list_members (sae, list, feature) values (?, ?, ?)');
    this.explanations = new ExplanationStore(this.db, () => this.#version++);
  }

  /** Bumped by every write, so readers can cache what they derive from the annotations. */
  get version(): number {
    return this.#version;
  }

  /** Records a write another module made to this database (e.g. auto explanations), so derived caches refresh. */
  noteWrite(): void {
    this.#version++;
  }

  #toAnnotation(r: Row, lists: readonly string[]): Annotation {
    return {
      feature: r.feature,
      label: r.label,
      notes: r.notes,
      tags: parseTags(r.tags),
      starred: r.starred !== 0,
      // JS order, as set() answers them (SQLite's binary order differs beyond the BMP)
      lists: [...lists].sort(),
      updatedAt: r.updated_at,
    };
  }

  /** One feature's annotation, or null. */
  get(sae: string, feature: number): Annotation | null {
    const r = this.#row.get(sae, feature) as Row | undefined;
    return r ? this.#toAnnotation(r, this.#listsOf.all(sae, feature) as string[]) : null;
  }

  /** Every annotation of an SAE, by feature id. */
  all(sae: string): Annotation[] {
    const lists = new Map<number, string[]>();
    for (const m of this.#allLists.all(sae) as { feature: number; list: string }[]) {
      const l = lists.get(m.feature);
      if (l) l.push(m.list);
      else lists.set(m.feature, [m.list]);
    }
    return (this.#rows.all(sae) as Row[]).map((r) => this.#toAnnotation(r, lists.get(r.feature) ?? []));
  }

  /** An SAE's named lists with their sizes, by name. */
  lists(sae: string): AnnotationList[] {
    return this.db
      .prepare('select list as name, count(*) as count from list_members where sae = ? group by list order by list')
      .all(sae) as AnnotationList[];
  }

  /** Writes a whole annotation (deleting it when every field is empty); runs inside a transaction. */
  #write(sae: string, a: Annotation): void {
    if (isEmpty(a)) {
      this.#delete.run(sae, a.feature);
      this.#clearLists.run(sae, a.feature);
      return;
    }
    this.#upsert.run({
      sae,
      feature: a.feature,
      label: a.label,
      notes: a.notes,
      tags: JSON.stringify(a.tags),
      starred: a.starred ? 1 : 0,
      updatedAt: a.updatedAt,
    });
    this.#clearLists.run(sae, a.feature);
    for (const l of a.lists) this.#addList.run(sae, l, a.feature);
  }

  /** Changes the given fields of a feature's annotation in one transaction; answers the whole annotation. */
  set(sae: string, feature: number, patch: AnnotationPatch, now = Date.now()): Annotation {
    const out = this.db.transaction((): Annotation => {
      const old = this.get(sae, feature);
      const next: Annotation = {
        feature,
        label: patch.label ?? old?.label ?? '',
        notes: patch.notes ?? old?.notes ?? '',
        tags: patch.tags ? uniq(patch.tags) : (old?.tags ?? []),
        starred: patch.starred ?? old?.starred ?? false,
        lists: patch.lists ? uniq(patch.lists).sort() : (old?.lists ?? []),
        updatedAt: now,
      };
      this.#write(sae, next);
      return next;
    })();
    this.#version++;
    return out;
  }

  /**
   * Features whose label, notes, tags or imported explanations match an FTS5 query (see
   * ftsQuery), best first; a feature matching both ways scores its better match.
   */
  search(sae: string, text: string): TextHit[] {
    const q = ftsQuery(text);
    if (q === null) return [];
    // a query naming columns (`label:paris`) fits one of the two indexes only: the other one's error is ignored
    const attempt = <T>(run: () => T): T | Error => {
      try {
        return run();
      } catch (e) {
        return e instanceof Error ? e : new Error(String(e));
      }
    };
    const own = attempt(
      () =>
        this.db
          .prepare(
            `select a.feature as feature, -bm25(annotations_fts) as score from annotations_fts
             join annotations a on a.id = annotations_fts.rowid
             where annotations_fts match ? and a.sae = ?`,
          )
          .all(q, sae) as TextHit[],
    );
    const theirs = attempt(() => this.explanations.search(sae, q));
    if (own instanceof Error && theirs instanceof Error) {
      throw new AppError('bad_request', `"${text}" is not a valid search: ${own.message} (plain words match as prefixes)`);
    }
    const best = new Map<number, number>();
    for (const hits of [own, theirs]) {
      if (hits instanceof Error) continue;
      for (const h of hits) best.set(h.feature, Math.max(best.get(h.feature) ?? -Infinity, h.score));
    }
    return [...best].map(([feature, score]) => ({ feature, score })).sort((a, b) => b.score - a.score || a.feature - b.feature);
  }

  /** The Neuronpedia ids a user set for an SAE, or null. */
  neuronpediaId(sae: string): NeuronpediaId | null {
    const r = this.db.prepare('select model_id, layer from sae_neuronpedia where hash = ?').get(sae) as
      { model_id: string; layer: string } | undefined;
    return r ? { modelId: r.model_id, layer: r.layer } : null;
  }

  /** Sets (or, with null, forgets) the Neuronpedia ids of an SAE. */
  setNeuronpediaId(sae: string, id: NeuronpediaId | null, now = Date.now()): void {
    if (id) {
      this.db
        .prepare(
          `insert into sae_neuronpedia (hash, model_id, layer, set_at) values (?, ?, ?, ?)
           on conflict (hash) do update set model_id = excluded.model_id, layer = excluded.layer, set_at = excluded.set_at`,
        )
        .run(sae, id.modelId, id.layer, now);
    } else this.db.prepare('delete from sae_neuronpedia where hash = ?').run(sae);
  }

  /** Records what an SAE hash was last seen as (model, folder, hook, width). */
  rememberSae(id: SaeIdentity, now = Date.now()): void {
    this.db
      .prepare(
        `insert into saes (hash, model, sae, hook, d_sae, seen_at) values (?, ?, ?, ?, ?, ?)
         on conflict (hash) do update set model = excluded.model, sae = excluded.sae, hook = excluded.hook,
           d_sae = excluded.d_sae, seen_at = excluded.seen_at`,
      )
      .run(id.saeHash, id.model, id.sae, id.hook, id.dSae, now);
  }

  /**
   * Merges imported annotations in one transaction: empty fields take the file's value,
   * tags and lists are united, a star from either side is kept; labels or notes that differ
   * keep what is stored and are reported as conflicts. With `dryRun`, only reports.
   */
  merge(sae: string, items: readonly ImportedAnnotation[], now = Date.now(), dryRun = false): MergeResult {
    let added = 0;
    let updated = 0;
    let unchanged = 0;
    const conflicts: AnnotationConflict[] = [];
    this.db.transaction(() => {
      for (const it of items) {
        const theirs: Annotation = {
          feature: it.feature,
          label: it.label ?? '',
          notes: it.notes ?? '',
          tags: uniq(it.tags ?? []),
          starred: it.starred ?? false,
          lists: uniq(it.lists ?? []).sort(),
          updatedAt: it.updatedAt ?? now,
        };
        const ours = this.get(sae, it.feature);
        if (!ours) {
          if (isEmpty(theirs)) unchanged++;
          else {
            if (!dryRun) this.#write(sae, theirs);
            added++;
          }
          continue;
        }
        const text = (field: 'label' | 'notes'): string => {
          const a = ours[field];
          const b = theirs[field];
          if (a === b || b === '') return a;
          if (a === '') return b;
          conflicts.push({ feature: it.feature, field, ours: a, theirs: b });
          return a;
        };
        const merged: Annotation = {
          feature: it.feature,
          label: text('label'),
          notes: text('notes'),
          tags: uniq([...ours.tags, ...theirs.tags]),
          starred: ours.starred || theirs.starred,
          lists: uniq([...ours.lists, ...theirs.lists]).sort(),
          updatedAt: now,
        };
        const same =
          merged.label === ours.label &&
          merged.notes === ours.notes &&
          merged.starred === ours.starred &&
          JSON.stringify(merged.tags) === JSON.stringify(ours.tags) &&
          JSON.stringify(merged.lists) === JSON.stringify(ours.lists);
        if (same) unchanged++;
        else {
          if (!dryRun) this.#write(sae, merged);
          updated++;
        }
      }
    })();
    if (!dryRun) this.#version++;
    return { added, updated, unchanged, conflicts };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
