import type Database from 'better-sqlite3';
import { AppError } from '../../shared/reply.ts';
import { steerSessionSchema, type SessionSummary, type SteerSession } from '../../shared/steer-types.ts';
import { closeOnError, openStore } from '../app/open-store.ts';
import { migrations } from './migrations/index.ts';

/** The schema version this build writes and reads (`PRAGMA user_version`). */
export const SESSIONS_SCHEMA_VERSION = migrations.length;

/** The parts of a session a list row shows, checked like a whole session. */
const summaryParts = steerSessionSchema.pick({ state: true, interventions: true, identity: true });

/** What changes while a run goes on (written together, in one transaction). */
export type SessionProgress = Pick<SteerSession, 'state' | 'error' | 'outputs' | 'next' | 'finishedAt'>;

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

  private constructor(
    readonly file: string,
    db: Database.Database,
  ) {
    this.db = db;
  }

  /** Opens (creating if needed) the database and marks runs of processes that are gone as interrupted. */
  static open(file: string): SessionStore {
    // WAL + NORMAL: a killed process loses nothing committed.
    const db = openStore(file, { migrations, synchronous: 'NORMAL', busyTimeoutMs: 5000 });
    return closeOnError(db, () => {
      const store = new SessionStore(file, db);
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
             prompt_ids, prompt_tokens, identity, interventions, settings, outputs, next)
           values (@id, @name, @created_at, @updated_at, @finished_at, @forked_from, @state, @error, @pid, @prompt,
             @prompt_ids, @prompt_tokens, @identity, @interventions, @settings, @outputs, @next)`,
        )
        .run(toRow(s));
    })();
  }

  /** Writes a running session's progress (or its end). */
  update(id: string, p: SessionProgress): void {
    this.db.transaction(() => {
      const r = this.db
        .prepare(
          `update sessions set state = ?, error = ?, outputs = ?, next = ?, finished_at = ?, updated_at = ?,
             pid = case when ? = 'running' then pid else null end
           where id = ?`,
        )
        .run(p.state, p.error, JSON.stringify(p.outputs), p.next ? JSON.stringify(p.next) : null, p.finishedAt, Date.now(), p.state, id);
      if (!r.changes) throw new AppError('not_found', `no steering session "${id}" in ${this.file}`);
    })();
  }

  /** Every session, most recently changed first (without reading their outputs whole). */
  list(): SessionSummary[] {
    const rows = this.db
      .prepare(
        `select id, name, created_at, updated_at, state, forked_from, substr(prompt, 1, 300) as prompt, interventions, identity,
           json_array_length(outputs, '$.default.ids') as n_default, json_array_length(outputs, '$.steered.ids') as n_steered
         from sessions order by updated_at desc, created_at desc`,
      )
      .all() as (Pick<
      Row,
      'id' | 'name' | 'created_at' | 'updated_at' | 'state' | 'forked_from' | 'prompt' | 'interventions' | 'identity'
    > & {
      n_default: number;
      n_steered: number;
    })[];
    return rows.map((r) => {
      const parsed = summaryParts.safeParse({
        state: r.state,
        interventions: JSON.parse(r.interventions),
        identity: JSON.parse(r.identity),
      });
      if (!parsed.success)
        throw new AppError('internal', `session "${r.id}" in ${this.file} is damaged: ${parsed.error.issues[0]?.message ?? ''}`);
      return {
        id: r.id,
        name: r.name,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
        forkedFrom: r.forked_from,
        prompt: r.prompt,
        ...parsed.data,
        tokens: { default: r.n_default, steered: r.n_steered },
      };
    });
  }

  /** One session; not_found when there is none with that id. */
  get(id: string): SteerSession {
    const row = this.db.prepare('select * from sessions where id = ?').get(id) as Row | undefined;
    if (!row) throw new AppError('not_found', `no steering session "${id}" (it may have been deleted)`);
    return fromRow(row);
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
  };
}

/** A row back into a session, checked against the schema (a damaged row says which). */
function fromRow(r: Row): SteerSession {
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
    promptIds: JSON.parse(r.prompt_ids) as unknown,
    promptTokens: JSON.parse(r.prompt_tokens) as unknown,
    identity: JSON.parse(r.identity) as unknown,
    interventions: JSON.parse(r.interventions) as unknown,
    settings: JSON.parse(r.settings) as unknown,
    outputs: JSON.parse(r.outputs) as unknown,
    next: r.next === null ? null : (JSON.parse(r.next) as unknown),
  });
  if (!parsed.success)
    throw new AppError('internal', `session "${r.id}" in sessions.sqlite is damaged: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
  return parsed.data;
}
