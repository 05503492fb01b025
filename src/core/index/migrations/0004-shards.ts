/**
 * Migration 4: indexes built in shards and merged, and resuming without re-reading.
 *
 * - `documents.input`: the ordinal of the corpus record the document came from (records are
 *   documents, empty documents and bad lines in reading order). Shards own records by this
 *   ordinal, and a merge puts the shards' documents back in corpus order by it. Null in
 *   indexes made before this migration.
 * - `progress.cursor`: where in the corpus record `next_input` (or one before it) starts, as
 *   JSON `{file, offset, line, ordinal}` (see CorpusCursor), so a resumed job seeks there
 *   instead of reading the corpus from its start. Null when unknown (older indexes, or past
 *   the end of the corpus).
 */
export const sql = `
ALTER TABLE documents ADD COLUMN input INTEGER;
ALTER TABLE progress ADD COLUMN cursor TEXT;
`;
