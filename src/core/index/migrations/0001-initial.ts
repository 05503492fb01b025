/**
 * Migration 1: the first schema of an activation index.
 *
 * - `meta`: key → JSON value (settings the index was built with, the tokenizer, the summary).
 * - `documents`: one row per document that produced tokens, with where it came from.
 * - `windows`: every window's token ids (varint blob); `bos` when token 0 is a prepended BOS.
 *   A window's global positions are `id · context + t`.
 * - `progress`: one row, updated in the same transaction as each batch, so a killed job
 *   resumes from its last committed batch.
 * - `staged`: committed batches' activations not yet merged into `chunks`.
 * - `chunks`: per feature, its activations as compact blobs over [first, last]; rows are
 *   appended in corpus order so pages fill up, and the covering index serves a feature's
 *   chunk directory without touching the blobs.
 * - `features`: per-feature statistics and example ordinals, written by the finalize phase.
 */
export const sql = `
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE documents (
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  tokens INTEGER NOT NULL
);

CREATE TABLE windows (
  id INTEGER PRIMARY KEY,
  doc INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  bos INTEGER NOT NULL,
  tokens BLOB NOT NULL
);

CREATE TABLE progress (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  phase TEXT NOT NULL,
  next_input INTEGER NOT NULL,
  doc_windows INTEGER NOT NULL,
  documents INTEGER NOT NULL,
  windows INTEGER NOT NULL,
  tokens INTEGER NOT NULL,
  activations INTEGER NOT NULL,
  batches INTEGER NOT NULL,
  staged_activations INTEGER NOT NULL,
  truncated_tokens INTEGER NOT NULL,
  empty_documents INTEGER NOT NULL,
  skipped_lines INTEGER NOT NULL,
  capture_k INTEGER NOT NULL,
  doc_hash INTEGER NOT NULL
);

CREATE TABLE staged (
  batch INTEGER PRIMARY KEY,
  base INTEGER NOT NULL,
  data BLOB NOT NULL
);

CREATE TABLE chunks (
  id INTEGER PRIMARY KEY,
  feature INTEGER NOT NULL,
  first INTEGER NOT NULL,
  last INTEGER NOT NULL,
  n INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX chunks_by_feature ON chunks (feature, first, last, n);

CREATE TABLE features (
  id INTEGER PRIMARY KEY,
  count INTEGER NOT NULL,
  sum REAL NOT NULL,
  max REAL NOT NULL,
  histogram BLOB NOT NULL,
  intervals BLOB NOT NULL,
  top BLOB NOT NULL,
  samples BLOB NOT NULL
);
`;
