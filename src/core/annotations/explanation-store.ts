/**
 * Imported explanations (migration 2 of annotations.sqlite): rows of Neuronpedia's
 * `Explanation` kept per (SAE hash, feature), beside the user's own annotation.
 */
import type Database from 'better-sqlite3';
import type { ImportedExplanation } from '#shared/annotation-types.ts';

/** An explanation about to be stored: an imported one before it has a source and an import time. */
export interface NewExplanation extends Omit<ImportedExplanation, 'source' | 'importedAt'> {
  /** The row's other fields worth writing back on export (e.g. umap_x). */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** A stored explanation with the fields an export writes back. */
export interface StoredExplanation extends ImportedExplanation {
  readonly extra: Readonly<Record<string, unknown>>;
}

interface Row {
  feature: number;
  description: string;
  source: string;
  model_id: string;
  layer: string;
  explanation_id: string | null;
  author_id: string | null;
  type_name: string | null;
  explainer_model: string | null;
  score: number | null;
  extra: string;
  imported_at: number;
}

const COLUMNS =
  'feature, description, source, model_id, layer, explanation_id, author_id, type_name, explainer_model, score, extra, imported_at';
/** Best first: scored before unscored, higher score first, then in import order. */
const BEST_FIRST = 'score is null, score desc, id';

function parseExtra(json: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(json);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function toExplanation(r: Row): StoredExplanation {
  return {
    feature: r.feature,
    description: r.description,
    source: 'neuronpedia',
    modelId: r.model_id,
    layer: r.layer,
    explanationId: r.explanation_id,
    authorId: r.author_id,
    typeName: r.type_name,
    explainerModel: r.explainer_model,
    score: r.score,
    importedAt: r.imported_at,
    extra: parseExtra(r.extra),
  };
}

/** Reads and writes the `explanations` table of an annotations database. */
export class ExplanationStore {
  readonly #forFeature: Database.Statement;
  readonly #all: Database.Statement;
  readonly #has: Database.Statement;
  readonly #insert: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    /** Called after every write (the annotation store's version bump). */
    private readonly written: () => void,
  ) {
    this.#forFeature = db.prepare(
      `select ${COLUMNS} from explanations where sae = ? and feature = ? and source = 'neuronpedia' order by ${BEST_FIRST}`,
    );
    this.#all = db.prepare(`select ${COLUMNS} from explanations where sae = ? and source = 'neuronpedia' order by feature, ${BEST_FIRST}`);
    this.#has = db.prepare('select 1 from explanations where sae = ? and feature = ? and description = ?').pluck();
    this.#insert = db.prepare(
      `insert or ignore into explanations (sae, feature, description, source, model_id, layer, explanation_id, author_id, type_name,
         explainer_model, score, extra, imported_at)
       values (@sae, @feature, @description, 'neuronpedia', @modelId, @layer, @explanationId, @authorId, @typeName, @explainerModel,
         @score, @extra, @importedAt)`,
    );
  }

  /** A feature's explanations, best first. */
  forFeature(sae: string, feature: number): StoredExplanation[] {
    return (this.#forFeature.all(sae, feature) as Row[]).map(toExplanation);
  }

  /** Every explanation of an SAE, by feature, best first within each. */
  all(sae: string): StoredExplanation[] {
    return (this.#all.all(sae) as Row[]).map(toExplanation);
  }

  /** The best explanation of each feature that has one. */
  best(sae: string): Map<number, StoredExplanation> {
    const out = new Map<number, StoredExplanation>();
    for (const e of this.all(sae)) if (!out.has(e.feature)) out.set(e.feature, e);
    return out;
  }

  /** True when the feature already has an explanation with exactly this text. */
  has(sae: string, feature: number, description: string): boolean {
    return this.#has.get(sae, feature, description) !== undefined;
  }

  /** Stores explanations in one transaction (a text the feature already has is left out); answers how many were added. */
  add(sae: string, items: readonly NewExplanation[], now = Date.now()): number {
    let added = 0;
    this.db.transaction(() => {
      for (const it of items) {
        const r = this.#insert.run({ ...it, sae, extra: JSON.stringify(it.extra), importedAt: now });
        added += r.changes;
      }
    })();
    if (added) this.written();
    return added;
  }

  /** Features with an explanation matching an FTS5 query (already built by ftsQuery), a feature scored by its best match. */
  search(sae: string, query: string): { feature: number; score: number }[] {
    // bm25() cannot sit under an aggregate, so features with several matches are folded here
    const hits = this.db
      .prepare(
        `select e.feature as feature, -bm25(explanations_fts) as score from explanations_fts
         join explanations e on e.id = explanations_fts.rowid
         where explanations_fts match ? and e.sae = ?`,
      )
      .all(query, sae) as { feature: number; score: number }[];
    const best = new Map<number, number>();
    for (const h of hits) best.set(h.feature, Math.max(best.get(h.feature) ?? -Infinity, h.score));
    return [...best].map(([feature, score]) => ({ feature, score }));
  }
}
