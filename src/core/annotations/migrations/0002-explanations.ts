/**
 * Migration 2 of annotations.sqlite: explanations imported from Neuronpedia, and the
 * Neuronpedia ids users give their SAEs.
 *
 * - `explanations`: one row per imported explanation of a feature, beside (never instead of)
 *   the user's label; a feature keeps each distinct text once. Columns follow Neuronpedia's
 *   `Explanation` model (`description`, `typeName`, `explanationModelName`, its id and author,
 *   the ids the row named); `score` is its `scoreV2`/`scoreV1` when the row carried one;
 *   `extra` keeps the row's other dataset-export fields (umap_*) as JSON, so an export
 *   writes them back.
 * - `explanations_fts`: FTS5 over the descriptions, kept in sync by triggers, so labels and
 *   explanations are searched alike.
 * - `sae_neuronpedia`: the ids (`model_id`, `layer`) a user set for an SAE, by weights hash.
 */
export const sql = `
CREATE TABLE explanations (
  id INTEGER PRIMARY KEY,
  sae TEXT NOT NULL,
  feature INTEGER NOT NULL,
  description TEXT NOT NULL,
  source TEXT NOT NULL,
  model_id TEXT NOT NULL,
  layer TEXT NOT NULL,
  explanation_id TEXT,
  author_id TEXT,
  type_name TEXT,
  explainer_model TEXT,
  score REAL,
  extra TEXT NOT NULL DEFAULT '{}',
  imported_at INTEGER NOT NULL,
  UNIQUE (sae, feature, description)
);

CREATE VIRTUAL TABLE explanations_fts USING fts5(
  description,
  content = 'explanations', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER explanations_ai AFTER INSERT ON explanations BEGIN
  INSERT INTO explanations_fts (rowid, description) VALUES (new.id, new.description);
END;
CREATE TRIGGER explanations_ad AFTER DELETE ON explanations BEGIN
  INSERT INTO explanations_fts (explanations_fts, rowid, description) VALUES ('delete', old.id, old.description);
END;
CREATE TRIGGER explanations_au AFTER UPDATE ON explanations BEGIN
  INSERT INTO explanations_fts (explanations_fts, rowid, description) VALUES ('delete', old.id, old.description);
  INSERT INTO explanations_fts (rowid, description) VALUES (new.id, new.description);
END;

CREATE TABLE sae_neuronpedia (
  hash TEXT PRIMARY KEY,
  model_id TEXT NOT NULL,
  layer TEXT NOT NULL,
  set_at INTEGER NOT NULL
) WITHOUT ROWID;
`;
