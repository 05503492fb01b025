/**
 * Migration 2 of sessions.sqlite: chat prompts, strength sweeps and several samples.
 *
 * `chat` (the messages and the template they were rendered with), `segments` (which prompt
 * positions hold which message's text), `sweep` (factors) and `runs` (a grid session's
 * continuations) are JSON text, null in sessions saved before; `samples` counts the sampled
 * continuations per side.
 */
export const sql = `
ALTER TABLE sessions ADD COLUMN chat TEXT;
ALTER TABLE sessions ADD COLUMN segments TEXT;
ALTER TABLE sessions ADD COLUMN sweep TEXT;
ALTER TABLE sessions ADD COLUMN samples INTEGER NOT NULL DEFAULT 1;
ALTER TABLE sessions ADD COLUMN runs TEXT;
`;
