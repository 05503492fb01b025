/**
 * Migration 1 of health.sqlite: one row per evaluated (model, SAE, hook, corpus, token
 * budget), the report as JSON (re-evaluating replaces it).
 */
export const sql = `
CREATE TABLE evaluations (
  id INTEGER PRIMARY KEY,
  model TEXT NOT NULL,
  sae TEXT NOT NULL,
  hook TEXT NOT NULL,
  corpus TEXT NOT NULL,
  max_tokens INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  report TEXT NOT NULL,
  UNIQUE (model, sae, hook, corpus, max_tokens)
);
CREATE INDEX evaluations_by_time ON evaluations (created_at);
`;
