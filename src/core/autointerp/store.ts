/**
 * Automatic explanations kept in the annotations database's `explanations` table (the one
 * Neuronpedia imports use) with source `auto`: explainer model in `explainer_model`, the
 * detection balanced accuracy in `score`, prompt version, settings and both scores' counts
 * in `extra`. The user's own annotation (label, notes) lives in another table and is never
 * written here.
 */
import type Database from 'better-sqlite3';
import type { AutoExplanation, AutointerpSettings, BalancedScore } from '#shared/autointerp-types.ts';

interface Row {
  feature: number;
  description: string;
  explainer_model: string | null;
  extra: string;
  imported_at: number;
}

interface Extra {
  promptVersion: string;
  settings: AutointerpSettings;
  detection: BalancedScore | null;
  fuzzing: BalancedScore | null;
}

function fromRow(r: Row): AutoExplanation {
  const x = JSON.parse(r.extra) as Partial<Extra>;
  return {
    feature: r.feature,
    description: r.description,
    source: 'auto',
    explainerModel: r.explainer_model ?? '',
    promptVersion: x.promptVersion ?? '',
    settings: x.settings!,
    detection: x.detection ?? null,
    fuzzing: x.fuzzing ?? null,
    createdAt: r.imported_at,
  };
}

/** Stores an auto explanation; the same text again for the feature replaces the earlier auto row's scores. */
export function saveAutoExplanation(db: Database.Database, sae: string, e: AutoExplanation): void {
  const extra: Extra = { promptVersion: e.promptVersion, settings: e.settings, detection: e.detection, fuzzing: e.fuzzing };
  db.prepare(
    `insert into explanations (sae, feature, description, source, model_id, layer, explainer_model, score, extra, imported_at)
     values (@sae, @feature, @description, 'auto', '', '', @model, @score, @extra, @at)
     on conflict (sae, feature, description) do update set explainer_model = excluded.explainer_model, score = excluded.score,
       extra = excluded.extra, imported_at = excluded.imported_at where explanations.source = 'auto'`,
  ).run({
    sae,
    feature: e.feature,
    description: e.description,
    model: e.explainerModel,
    score: e.detection?.balancedAccuracy ?? null,
    extra: JSON.stringify(extra),
    at: e.createdAt,
  });
}

/** A feature's auto explanations, newest first. */
export function autoExplanations(db: Database.Database, sae: string, feature: number): AutoExplanation[] {
  const rows = db
    .prepare(
      `select feature, description, explainer_model, extra, imported_at from explanations
       where sae = ? and feature = ? and source = 'auto' order by imported_at desc, id desc`,
    )
    .all(sae, feature) as Row[];
  return rows.map(fromRow);
}

/** The newest auto explanation of a feature by this explainer model and prompt version (for resume), or null. */
export function storedAutoExplanation(
  db: Database.Database,
  sae: string,
  feature: number,
  model: string,
  promptVersion: string,
): AutoExplanation | null {
  return autoExplanations(db, sae, feature).find((e) => e.explainerModel === model && e.promptVersion === promptVersion) ?? null;
}

/** Whether the feature already has an auto explanation from this explainer model and prompt version (for resume). */
export function hasAutoExplanation(db: Database.Database, sae: string, feature: number, model: string, promptVersion: string): boolean {
  return storedAutoExplanation(db, sae, feature, model, promptVersion) !== null;
}

/** Whether nothing is left to do for a stored explanation: it is there and, when scoring, so are both scores. */
export function isComplete(e: AutoExplanation | null, score: boolean): boolean {
  return e !== null && (!score || (e.detection !== null && e.fuzzing !== null));
}

/** The newest auto explanation of every feature of an SAE that has one. */
export function latestAutoExplanations(db: Database.Database, sae: string): Map<number, AutoExplanation> {
  const rows = db
    .prepare(
      `select feature, description, explainer_model, extra, imported_at from explanations
       where sae = ? and source = 'auto' order by feature, imported_at desc, id desc`,
    )
    .all(sae) as Row[];
  const out = new Map<number, AutoExplanation>();
  for (const r of rows) if (!out.has(r.feature)) out.set(r.feature, fromRow(r));
  return out;
}
