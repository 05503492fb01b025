/**
 * Migration 1 of sessions.sqlite: one row per steering session.
 *
 * The structured parts (identity, interventions, settings, outputs, next-token table) are
 * JSON text: they are read and written whole, never queried inside. `pid` is the process
 * that runs a `running` session, so a later start can tell a crashed run from a live one.
 */
export const sql = `
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER,
  forked_from TEXT,
  state TEXT NOT NULL,
  error TEXT,
  pid INTEGER,
  prompt TEXT NOT NULL,
  prompt_ids TEXT NOT NULL,
  prompt_tokens TEXT NOT NULL,
  identity TEXT NOT NULL,
  interventions TEXT NOT NULL,
  settings TEXT NOT NULL,
  outputs TEXT NOT NULL,
  next TEXT
);
CREATE INDEX sessions_by_update ON sessions (updated_at);
`;
