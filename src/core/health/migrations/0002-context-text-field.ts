/**
 * Migration 2 of health.sqlite: the window length (`context`) and the text field join a
 * report's identity, so an evaluation at context 64 no longer replaces the one at 128.
 * SQLite cannot change a UNIQUE constraint in place, so the table is rebuilt with the same
 * row ids. Existing rows keep their report: `context` comes from the report itself; reports
 * stored before this migration did not record their text field, so they take the default,
 * `text` (the app never asked for another; only `evaluate --text-field` could have).
 */
export const sql = `
CREATE TABLE evaluations_2 (
  id INTEGER PRIMARY KEY,
  model TEXT NOT NULL,
  sae TEXT NOT NULL,
  hook TEXT NOT NULL,
  corpus TEXT NOT NULL,
  max_tokens INTEGER NOT NULL,
  context INTEGER NOT NULL,
  text_field TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  report TEXT NOT NULL,
  UNIQUE (model, sae, hook, corpus, max_tokens, context, text_field)
);
INSERT INTO evaluations_2 (id, model, sae, hook, corpus, max_tokens, context, text_field, created_at, report)
  SELECT id, model, sae, hook, corpus, max_tokens, coalesce(json_extract(report, '$.context'), 128), 'text', created_at,
         json_set(report, '$.text_field', 'text')
  FROM evaluations;
DROP TABLE evaluations;
ALTER TABLE evaluations_2 RENAME TO evaluations;
CREATE INDEX evaluations_by_time ON evaluations (created_at);
`;
