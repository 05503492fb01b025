/**
 * health.sqlite in the data folder: the stored evaluation reports, one per (model, SAE,
 * hook, corpus, token budget, context, text field). WAL, numbered migrations in
 * `user_version`, one writer.
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { HealthReport } from '#shared/health-types.ts';
import { openStore } from '../kernel/open-store.ts';
import { STORE_KINDS } from '../kernel/store-kinds.ts';
import { migrations } from './migrations/index.ts';

/** A report before it has a row id. */
export type NewReport = Omit<HealthReport, 'id'>;

/**
 * Which report to find: `hook` null matches any hook; `maxTokens`, `context` or `textField`
 * absent matches any (newest wins).
 */
export interface ReportQuery {
  readonly model: string;
  readonly sae: string;
  readonly hook: string | null;
  readonly corpus: string;
  readonly maxTokens?: number | undefined;
  readonly context?: number | undefined;
  readonly textField?: string | undefined;
}

interface Row {
  readonly id: number;
  readonly report: string;
}

const fromRow = (r: Row): HealthReport => ({ ...(JSON.parse(r.report) as NewReport), id: r.id });

/** The file name of health.sqlite inside a data folder. */
export function healthDbFile(dataDir: string): string {
  return path.join(dataDir, 'health.sqlite');
}

/** Stored evaluation reports. */
export class HealthStore {
  readonly db: Database.Database;

  constructor(readonly file: string) {
    // a CLI run and the app may write at once: wait for the other's transaction
    this.db = openStore(file, { kind: STORE_KINDS.health, migrations, synchronous: 'NORMAL', busyTimeoutMs: 5000 });
  }

  /** Stores a report, replacing the one of the same identity; returns it with its id. */
  put(report: NewReport): HealthReport {
    const row = this.db
      .prepare(
        `insert into evaluations (model, sae, hook, corpus, max_tokens, context, text_field, created_at, report)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?)
         on conflict (model, sae, hook, corpus, max_tokens, context, text_field)
         do update set created_at = excluded.created_at, report = excluded.report
         returning id`,
      )
      .get(
        report.model,
        report.sae,
        report.hook,
        report.corpus,
        report.max_tokens,
        report.context,
        report.text_field,
        report.created_at,
        JSON.stringify(report),
      ) as { id: number };
    return { ...report, id: row.id };
  }

  /** The newest report matching `q`, or null. */
  find(q: ReportQuery): HealthReport | null {
    const row = this.db
      .prepare(
        `select id, report from evaluations
         where model = @model and sae = @sae and corpus = @corpus and (@hook is null or hook = @hook)
           and (@maxTokens is null or max_tokens = @maxTokens) and (@context is null or context = @context)
           and (@textField is null or text_field = @textField)
         order by created_at desc, id desc limit 1`,
      )
      .get({
        model: q.model,
        sae: q.sae,
        corpus: q.corpus,
        hook: q.hook,
        maxTokens: q.maxTokens ?? null,
        context: q.context ?? null,
        textField: q.textField ?? null,
      }) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  /** The report with row id `id`, or null. */
  byId(id: number): HealthReport | null {
    const row = this.db.prepare('select id, report from evaluations where id = ?').get(id) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  /** Every report, newest first (at most `limit`). */
  list(limit = 500): HealthReport[] {
    return (this.db.prepare('select id, report from evaluations order by created_at desc, id desc limit ?').all(limit) as Row[]).map(
      fromRow,
    );
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
