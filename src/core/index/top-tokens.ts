/**
 * Token-text search over features' top examples: the finalize phase records, per feature,
 * which tokens its top examples activate on (`top_tokens`, `token_text`, migration 2), and
 * a search asks which features' top examples fire on tokens matching some text.
 */
import type Database from 'better-sqlite3';
import { TextTokenizer } from '../model/tokenizer.ts';
import { decodeTokens } from './codec.ts';
import { readMeta } from './store.ts';
import type { IndexSettings } from './types.ts';

/** `meta` key set when finalize starts recording top tokens from feature 0 (so they cover every feature). */
export const TOP_TOKENS_META = 'topTokens';

/** How token text is compared: trimmed and lower-cased, so " Paris" matches "paris". */
export function normTokenText(text: string): string {
  return text.trim().toLowerCase();
}

/** Decoded windows kept while finalizing (top examples cluster in few windows for many features). */
const WINDOW_CACHE = 4096;

/**
 * Records the activating tokens of features' top examples. `add` runs inside the caller's
 * transaction (the one that writes the feature's statistics), so both commit together.
 */
export class TopTokenWriter {
  readonly #window: Database.Statement;
  readonly #putHits: Database.Statement;
  readonly #putText: Database.Statement;
  readonly #hasText: Database.Statement;
  readonly #windows = new Map<number, number[]>();
  readonly #known = new Set<number>();
  readonly #context: number;
  readonly #db: Database.Database;
  #tokenizer: TextTokenizer | undefined;

  constructor(db: Database.Database) {
    this.#db = db;
    const settings = readMeta<IndexSettings>(db, 'settings');
    if (!settings) throw new Error('the index has no settings: cannot record top tokens');
    this.#context = settings.context;
    this.#window = db.prepare('select tokens from windows where id = ?').pluck();
    this.#putHits = db.prepare('insert or replace into top_tokens (token, feature, hits) values (?, ?, ?)');
    this.#putText = db.prepare('insert or ignore into token_text (token, text, norm) values (?, ?, ?)');
    this.#hasText = db.prepare('select 1 from token_text where token = ?').pluck();
  }

  #text(token: number): string {
    if (!this.#tokenizer) {
      const t = readMeta<{ tokenizer: Record<string, unknown>; tokenizerConfig: Record<string, unknown>; config: Record<string, unknown> }>(
        this.#db,
        'tokenizer',
      );
      if (!t) throw new Error('the index holds no tokenizer: cannot record top-token text');
      this.#tokenizer = new TextTokenizer(t.tokenizer, t.tokenizerConfig, t.config);
    }
    return this.#tokenizer.pieces([token])[0] ?? '';
  }

  #tokenAt(pos: number): number | undefined {
    const w = Math.floor(pos / this.#context);
    let ids = this.#windows.get(w);
    if (!ids) {
      const blob = this.#window.get(w) as Buffer | undefined;
      if (!blob) return undefined;
      ids = decodeTokens(blob);
      if (this.#windows.size >= WINDOW_CACHE) this.#windows.clear();
      this.#windows.set(w, ids);
    }
    return ids[pos - w * this.#context];
  }

  /** Marks this index as recording top tokens for every feature (call in finalize's first transaction). */
  start(): void {
    this.#db.prepare('insert or replace into meta (key, value) values (?, ?)').run(TOP_TOKENS_META, 'true');
  }

  /** Records the tokens at a feature's top-example positions. */
  add(feature: number, positions: readonly number[]): void {
    const hits = new Map<number, number>();
    for (const p of positions) {
      const t = this.#tokenAt(p);
      if (t !== undefined) hits.set(t, (hits.get(t) ?? 0) + 1);
    }
    for (const [token, n] of hits) {
      this.#putHits.run(token, feature, n);
      if (!this.#known.has(token)) {
        this.#known.add(token);
        if (!this.#hasText.get(token)) {
          const text = this.#text(token);
          this.#putText.run(token, text, normTokenText(text));
        }
      }
    }
  }
}

/** A feature whose top examples fire on matching tokens, with how many of them do. */
export interface TokenHit {
  readonly feature: number;
  readonly hits: number;
}

/**
 * Features whose top examples activate on tokens matching `text`: by substring (default)
 * or whole token, case-insensitive, surrounding whitespace ignored (a query of only
 * whitespace matches it literally). Undefined when the index has no top-token records
 * (not finalized yet, or finalized before migration 2: see backfillTopTokens).
 */
export function searchTopTokens(db: Database.Database, text: string, exact = false): TokenHit[] | undefined {
  if (readMeta<boolean>(db, TOP_TOKENS_META) !== true) return undefined;
  const norm = normTokenText(text);
  const [column, needle] = norm ? ['norm', norm] : ['lower(text)', text.toLowerCase()];
  const match = exact ? `${column} = ?` : `instr(${column}, ?) > 0`;
  return db
    .prepare(
      `select feature, sum(hits) as hits from top_tokens
       where token in (select token from token_text where ${match})
       group by feature`,
    )
    .all(needle) as TokenHit[];
}

/** The tokens a feature's top examples fire on, with counts, most first (for checks and tools). */
export function featureTopTokens(db: Database.Database, feature: number): { token: number; text: string; hits: number }[] {
  return db
    .prepare(
      `select t.token, x.text, t.hits from top_tokens t join token_text x on x.token = t.token
       where t.feature = ? order by t.hits desc, t.token`,
    )
    .all(feature) as { token: number; text: string; hits: number }[];
}
