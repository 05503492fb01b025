/**
 * Migration 1 of annotations.sqlite: what users write about features, per SAE.
 *
 * Rows are keyed by the SAE's identity hash (SHA-256 of its weights file), so annotations
 * follow the weights wherever the folder moves.
 * - `saes`: what each hash was last seen as (model, SAE path, hook, d_sae), for exports.
 * - `annotations`: one row per annotated feature; `tags` is a JSON array of strings.
 * - `list_members`: named lists, one row per (list, feature).
 * - `annotations_fts`: FTS5 over label, notes and tags, an external-content index kept in
 *   sync by triggers (so every write updates it in the same transaction).
 */
export const sql = `
CREATE TABLE saes (
  hash TEXT PRIMARY KEY,
  model TEXT NOT NULL,
  sae TEXT NOT NULL,
  hook TEXT NOT NULL,
  d_sae INTEGER NOT NULL,
  seen_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE annotations (
  id INTEGER PRIMARY KEY,
  sae TEXT NOT NULL,
  feature INTEGER NOT NULL,
  label TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '[]',
  starred INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  UNIQUE (sae, feature)
);

CREATE TABLE list_members (
  sae TEXT NOT NULL,
  list TEXT NOT NULL,
  feature INTEGER NOT NULL,
  PRIMARY KEY (sae, list, feature)
) WITHOUT ROWID;
CREATE INDEX list_members_by_feature ON list_members (sae, feature);

CREATE VIRTUAL TABLE annotations_fts USING fts5(
  label, notes, tags,
  content = 'annotations', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER annotations_ai AFTER INSERT ON annotations BEGIN
  INSERT INTO annotations_fts (rowid, label, notes, tags) VALUES (new.id, new.label, new.notes, new.tags);
END;
CREATE TRIGGER annotations_ad AFTER DELETE ON annotations BEGIN
  INSERT INTO annotations_fts (annotations_fts, rowid, label, notes, tags) VALUES ('delete', old.id, old.label, old.notes, old.tags);
END;
CREATE TRIGGER annotations_au AFTER UPDATE ON annotations BEGIN
  INSERT INTO annotations_fts (annotations_fts, rowid, label, notes, tags) VALUES ('delete', old.id, old.label, old.notes, old.tags);
  INSERT INTO annotations_fts (rowid, label, notes, tags) VALUES (new.id, new.label, new.notes, new.tags);
END;
`;
