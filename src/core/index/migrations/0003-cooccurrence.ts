/**
 * Migration 3: co-occurring features, and top tokens by feature.
 *
 * - `cooccurrence`: per feature, the features most often active on the same tokens, counted
 *   by the finalize phase over every indexed token (or, past a memory bound, over a keyed-hash
 *   sample of windows, recorded in `meta.cooccurrence`): a varint blob (see cooccurrence.ts).
 *   An index finished before this migration gets its rows the first time they are asked for.
 * - `top_tokens_by_feature`: lets a feature list read each row's top tokens directly.
 */
export const sql = `
CREATE TABLE cooccurrence (
  feature INTEGER PRIMARY KEY,
  data BLOB NOT NULL
);

CREATE INDEX top_tokens_by_feature ON top_tokens (feature, hits);
`;
