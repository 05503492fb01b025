import type Database from 'better-sqlite3';
import { AppError } from '#shared/reply.ts';
import { steerSessionSchema, type SessionSummary, type SteerSession } from '#shared/steer-types.ts';
import { closeOnError, openStore } from '../kernel/open-store.ts';
import { STORE_KINDS } from '../kernel/store-kinds.ts';
import { migrations } from './migrations/index.ts';

/** The parts of a session a list row shows, checked like a whole session. */
const summaryParts = steerSessionSchema.pick({ state: true, interventions: true, identity: true, sweep: true, samples: true });

/** What changes while a run goes on (written together, in one transaction). */
export type SessionProgress = Pick<SteerSession, 'state' | 'error' | 'outputs' | 'next' | 'finishedAt' | 'runs'>;

interface Row {
  id: string;
  name: string;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  forked_from: string | null;
  state: string;
  error: string | null;
  pid: number | null;
  prompt: string;
  prompt_ids: string;
  prompt_tokens: string;
  identity: string;
  interventions: string;
  settings: string;
  outputs: string;
  next: string | null;
  /** Added by migration 2: null in sessions saved before it. */
  chat: string | null;
  segments: string | null;
  sweep: string | null;
  samples: number;
  runs: string | null;
}

/** What `list` reads of a row: the summary's columns and the two sides' token counts (null when outputs is damaged). */
type SummaryRow = Pick<
  Row,
  'id' | 'name' | 'created_at' | 'updated_at' | 'state' | 'forked_from' | 'prompt' | 'interventions' | 'identity' | 'sweep' | 'samples'
> & {
  has_chat: number;
  n_default: number | null;
  n_steered: number | null;
};

/** How a store reports a session it cannot read (skipped from the list). */
export interface SessionStoreOptions {
  /** Called once per damaged session the list skips; default: a console warning. */
  readonly onDamaged?: (id: string, message: string) => void;
}

/** A `damaged` row's error: names the session, the file and what is wrong, and what the user can do. */
function damaged(id: string, file: string, why: string): AppError {
  return new AppError(
    'internal',
    `session "${id}" in ${file} is damaged: ${why}; it cannot be opened (delete it, or restore ${file} from a backup)`,
  );
}

/** Parses one JSON column of a row; malformed text is a `damaged` error naming the column. */
function column(text: string, name: string, id: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw damaged(id, file, `its ${name} column is not valid JSON (${(e as Error).message})`);
  }
}

/** True when a process with this id is alive (EPERM: alive, someone else's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Steering sessions in `<data>/sessions.sqlite`: WAL, numbered migrations, every change in
 * a transaction. A run's row is inserted when it starts and updated as it goes, so a crash
 * keeps its prompt, settings and the tokens produced up to the last update.
 */
export class SessionStore {
  readonly db: Database.Database;
  readonly #onDamaged: (id: string, message: string) => void;
  /** Damaged sessions already reported, so a list shown again does not repeat the warning. */
  readonly #reported = new Set<string>();

  private constructor(
    readonly file: string,
    db: Database.Database,
    options: SessionStoreOptions,
  ) {
    this.db = db;
    this.#onDamaged = options.onDamaged ?? ((_id, message) => console.warn(`sessions: ${message}`));
  }

  /** Opens (creating if needed) the database and marks runs of processes that are gone as interrupted. */
  static open(file: string, options: SessionStoreOptions = {}): SessionStore {
    // WAL + NORMAL: a killed process loses nothing committed.
    const db = openStore(file, { kind: STORE_KINDS.sessions, migrations, synchronous: 'NORMAL', busyTimeoutMs: 5000 });
    return closeOnError(db, () => {
      const store = new SessionStore(file, db, options);
      store.recoverInterrupted();
      return store;
    });
  }

  private recoverInterrupted(): void {
    const rows = this.db.prepare("select id, pid from sessions where state = 'running'").all() as { id: string; pid: number | null }[];
    const stale = rows.filter((r) => r.pid === null || !alive(r.pid));
    if (!stale.length) return;
    const mark = this.db.prepare(
      "update sessions set state = 'interrupted', error = ?, pid = null, finished_at = coalesce(finished_at, updated_at) where id = ?",
    );
    this.db.transaction(() => {
      for (const r of stale) mark.run('the app stopped while this run was going; the tokens produced up to then are kept', r.id);
    })();
  }

  /** Saves a new session (a run starting, or an import). */
  insert(s: SteerSession): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `insert into sessions (id, name, created_at, updated_at, finished_at, forked_from, state, error, pid, prompt,
             prompt_ids, prompt_tokens, identity, interventions, settings, outputs, next, chat, segments, sweep, samples, runs)
           values (@id, @name, @created_at, @updated_at, @finished_at, @forked_from, @state, @error, @pid, @prompt,
             @prompt_ids, @prompt_tokens, @identity, @interventions, @settings, @outputs, @next, @chat, @segments, @sweep, @samples, @runs)`,
        )
        .run(toRow(s));
    })();
  }

  /** Writes a running session's progress (or its end). */
  update(id: string, p: SessionProgress): void {
    this.db.transaction(() => {
      const r = this.db
        .prepare(
          `update sessions set state = ?, error = ?, outputs = ?, next = ?, runs = ?, finished_at = ?, updated_at = ?,
             pid = case when ? = 'running' then pid else null end
           where id = ?`,
        )
        .run(
          p.state,
          p.error,
          JSON.stringify(p.outputs),
          p.next ? JSON.stringify(p.next) : null,
          JSON.stringify(p.runs),
          p.finishedAt,
          Date.now(),
          p.state,
          id,
        );
      if (!r.changes) throw new AppError('not_found', `no steering session "${id}" in ${this.file}`);
    })();
  }

  /**
   * Every session, most recently changed first (without reading their outputs whole). A
   * damaged session (unreadable JSON, values outside the schema) is left out, and reported
   * once through `onDamaged`; `get` on it says what is wrong, `delete` still removes it.
   */
  list(): SessionSummary[] {
    // json_valid first: json_array_length on malformed text would fail the whole query
    const rows = this.db
      .prepare(
        `select id, name, created_at, updated_at, state, forked_from, substr(prompt, 1, 300) as prompt, interventions, identity,
           sweep, samples, chat is not null as has_chat,
           case when json_valid(outputs) then json_array_length(outputs, '$.default.ids') end as n_default,
           case when json_valid(outputs) then json_array_length(outputs, '$.steered.ids') end as n_steered
         from sessions order by updated_at desc, created_at desc`,
      )
      .all() as SummaryRow[];
    const out: SessionSummary[] = [];
    for (const r of rows) {
      try {
        out.push(this.#summary(r));
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        if (!this.#reported.has(r.id)) {
          this.#reported.add(r.id);
          this.#onDamaged(r.id, `${e.message}; it is left out of the list`);
        }
      }
    }
    return out;
  }

  #summary(r: SummaryRow): SessionSummary {
    const parsed = summaryParts.safeParse({
      state: r.state,
      interventions: column(r.interventions, 'interventions', r.id, this.file),
      identity: column(r.identity, 'identity', r.id, this.file),
      sweep: r.sweep === null ? null : column(r.sweep, 'sweep', r.id, this.file),
      samples: r.samples,
    });
    if (!parsed.success) throw damaged(r.id, this.file, describeIssue(parsed.error.issues[0]));
    if (r.n_default === null || r.n_steered === null)
      throw damaged(r.id, this.file, 'its outputs column is not valid JSON or has no token ids');
    return {
      id: r.id,
      name: r.name,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      forkedFrom: r.forked_from,
      prompt: r.prompt,
      ...parsed.data,
      chat: r.has_chat === 1,
      tokens: { default: r.n_default, steered: r.n_steered },
    };
  }

  /** One session; not_found when there is none with that id, `internal` naming what is wrong when it is damaged. */
  get(id: string): SteerSession {
    const row = this.db.prepare('select * from sessions where id = ?').get(id) as Row | undefined;
    if (!row) throw new AppError('not_found', `no steering session "${id}" (it may have been deleted)`);
    return fromRow(row, this.file);
  }

  rename(id: string, name: string): SteerSession {
    this.db.transaction(() => {
      const r = this.db.prepare('update sessions set name = ?, updated_at = ? where id = ?').run(name, Date.now(), id);
      if (!r.changes) throw new AppError('not_found', `no steering session "${id}" to rename`);
    })();
    return this.get(id);
  }

  delete(id: string): void {
    this.db.transaction(() => {
      const r = this.db.prepare('delete from sessions where id = ?').run(id);
      if (!r.changes) throw new AppError('not_found', `no steering session "${id}" to delete`);
    })();
  }

  close(): void {
    this.db.close();
  }
}

function toRow(s: SteerSession): Row {
  return {
    id: s.id,
    name: s.name,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    finished_at: s.finishedAt,
    forked_from: s.forkedFrom,
    state: s.state,
    error: s.error,
    pid: s.state === 'running' ? process.pid : null,
    prompt: s.prompt,
    prompt_ids: JSON.stringify(s.promptIds),
    prompt_tokens: JSON.stringify(s.promptTokens),
    identity: JSON.stringify(s.identity),
    interventions: JSON.stringify(s.interventions),
    settings: JSON.stringify(s.settings),
    outputs: JSON.stringify(s.outputs),
    next: s.next ? JSON.stringify(s.next) : null,
    chat: s.chat ? JSON.stringify(s.chat) : null,
    segments: JSON.stringify(s.segments),
    sweep: s.sweep ? JSON.stringify(s.sweep) : null,
    samples: s.samples,
    runs: JSON.stringify(s.runs),
  };
}

/** `field.path: message` of a schema issue. */
function describeIssue(issue: { path: PropertyKey[]; message: string } | undefined): string {
  if (!issue) return 'it does not match the session schema';
  return `${issue.path.length ? `${issue.path.map(String).join('.')}: ` : ''}${issue.message}`;
}

/** A row back into a session, checked against the schema (a damaged row says which part). */
function fromRow(r: Row, file: string): SteerSession {
  const json = (text: string, name: string): unknown => column(text, name, r.id, file);
  const parsed = steerSessionSchema.safeParse({
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
    forkedFrom: r.forked_from,
    state: r.state,
    error: r.error,
    prompt: r.prompt,
    promptIds: json(r.prompt_ids, 'prompt_ids'),
    promptTokens: json(r.prompt_tokens, 'prompt_tokens'),
    identity: json(r.identity, 'identity'),
    interventions: json(r.interventions, 'interventions'),
    settings: json(r.settings, 'settings'),
    outputs: json(r.outputs, 'outputs'),
    next: r.next === null ? null : json(r.next, 'next'),
    chat: r.chat === null ? null : json(r.chat, 'chat'),
    segments: r.segments === null ? [] : json(r.segments, 'segments'),
    sweep: r.sweep === null ? null : json(r.sweep, 'sweep'),
    samples: r.samples,
    runs: r.runs === null ? [] : json(r.runs, 'runs'),
  });
  if (!parsed.success) throw damaged(r.id, file, describeIssue(parsed.error.issues[0]));
  return parsed.data;
}
