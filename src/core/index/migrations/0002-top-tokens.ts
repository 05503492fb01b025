/**
 * Migration 2: which tokens each feature's top examples fire on, for token-text search
 * ("which features fire on ' Paris'"). Written by the finalize phase in the same
 * transactions as `features`. This migration only creates the tables: an index finished
 * before it keeps its statistics untouched (a read-only open migrates old files), and its
 * tables are filled from its stored top examples the first time a token search needs them
 * (see backfill-top-tokens.ts).
 *
 * - `top_tokens`: per (token, feature), how many of the feature's top examples activate on
 *   that token; keyed token-first so a search reads the matching tokens' features directly.
 * - `token_text`: each token id that appears in `top_tokens`, with its text as decoded
 *   (e.g. " Paris"), and `norm` = its trimmed, lower-cased text for matching.
 */
export const sql = `
CREATE TABLE top_tokens (
  token INTEGER NOT NULL,
  feature INTEGER NOT NULL,
  hits INTEGER NOT NULL,
  PRIMARY KEY (token, feature)
) WITHOUT ROWID;

CREATE TABLE token_text (
  token INTEGER PRIMARY KEY,
  text TEXT NOT NULL,
  norm TEXT NOT NULL
);
`;
