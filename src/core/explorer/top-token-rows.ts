/**
 * The top tokens shown in feature list rows: per feature, the tokens its top examples fire on
 * most (from the index's `top_tokens`, read by feature through migration 3's index), cached
 * per loaded feature table.
 */
import type Database from 'better-sqlite3';
import type { TopToken } from '#shared/explorer-types.ts';
import type { FeatureTable } from './feature-table.ts';

/** Top tokens per list row. */
export const ROW_TOP_TOKENS = 3;

/** Reads (and remembers) features' top tokens for one version of an index's feature table. */
export class TopTokenRows {
  readonly #cache = new WeakMap<FeatureTable, Map<number, TopToken[]>>();

  /** A lookup of feature → top tokens for `table`, reading from `db` (empty while the index has no top-token records). */
  lookup(db: Database.Database, table: FeatureTable): (id: number) => TopToken[] {
    let memo = this.#cache.get(table);
    if (!memo) this.#cache.set(table, (memo = new Map()));
    const cache = memo;
    const recorded = table.complete && db.prepare("select 1 from meta where key = 'topTokens'").pluck().get() !== undefined;
    if (!recorded) return () => [];
    const stmt = db.prepare(
      `select x.text as text, t.hits as count from top_tokens t join token_text x on x.token = t.token
       where t.feature = ? order by t.hits desc, t.token limit ${ROW_TOP_TOKENS}`,
    );
    return (id) => {
      let tokens = cache.get(id);
      if (!tokens) cache.set(id, (tokens = stmt.all(id) as TopToken[]));
      return tokens;
    };
  }
}
