import crypto from 'node:crypto';
import { AppError } from '#shared/reply.ts';
import {
  SESSION_EXPORT_FORMAT,
  SESSION_EXPORT_VERSION,
  sessionExportSchema,
  type SessionExport,
  type SteerSession,
} from '#shared/steer-types.ts';
import { describeIssues } from '#shared/validate.ts';

/** A session as a self-contained JSON document: everything needed to read it again or rerun it (prompt ids, chat template, settings, seed, sweep, samples). */
export function exportSession(session: SteerSession): SessionExport {
  return { format: SESSION_EXPORT_FORMAT, version: SESSION_EXPORT_VERSION, exportedAt: Date.now(), session };
}

/**
 * Checks an exported session (the document, or its JSON text) and returns it as a new
 * session: a new id, the rest as exported. A run that was still going when exported is
 * marked interrupted. Version 1 files (before chats, sweeps and samples) read as plain runs.
 */
export function importSession(data: unknown): SteerSession {
  let doc = data;
  if (typeof doc === 'string') {
    try {
      doc = JSON.parse(doc) as unknown;
    } catch (e) {
      throw new AppError('bad_request', `the file is not JSON (${(e as Error).message}): choose a file saved by "Export"`);
    }
  }
  const tag = doc && typeof doc === 'object' && 'format' in doc ? doc.format : undefined;
  if (tag !== SESSION_EXPORT_FORMAT) {
    throw new AppError('bad_request', `not a steering session export: its "format" must be "${SESSION_EXPORT_FORMAT}"`);
  }
  const parsed = sessionExportSchema.safeParse(doc);
  if (!parsed.success) throw new AppError('bad_request', `the steering session file is damaged: ${describeIssues(parsed.error.issues)}`);
  const s = parsed.data.session;
  const running = s.state === 'running';
  return {
    ...s,
    id: crypto.randomUUID(),
    updatedAt: Date.now(),
    ...(running ? { state: 'interrupted' as const, error: 'this run was still going when it was exported', finishedAt: s.updatedAt } : {}),
  };
}
