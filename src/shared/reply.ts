/**
 * The envelope every request answers with, on every transport. Errors travel as data
 * (never thrown across IPC or HTTP), so the renderer handles them like any other value.
 */

/** Why a request failed. Transports map these to HTTP statuses; the renderer shows the message. */
export type ErrorCode =
  /** The payload did not match the request's schema, or the request makes no sense now. */
  | 'bad_request'
  /** No such request, or the thing it names does not exist. */
  | 'not_found'
  /** A token is required (the serve host, loopback too) and was missing or wrong. */
  | 'unauthorized'
  /** The caller is not allowed: wrong sender frame, wrong Host header, a path outside the allowed roots. */
  | 'forbidden'
  /** The request body is larger than the host accepts. */
  | 'too_large'
  /** The work was cancelled before it finished. */
  | 'cancelled'
  /** The request conflicts with the current state (e.g. a job already finished). */
  | 'conflict'
  /** Something the request needs is missing here (e.g. an execution provider). */
  | 'unavailable'
  /** The transport itself failed (connection lost, host gone). Made by clients only. */
  | 'transport'
  /** A bug or an unexpected failure in core. */
  | 'internal';

/** Every error code, for schemas and exhaustive tables. */
export const errorCodes = [
  'bad_request',
  'not_found',
  'unauthorized',
  'forbidden',
  'too_large',
  'cancelled',
  'conflict',
  'unavailable',
  'transport',
  'internal',
] as const satisfies readonly ErrorCode[];

/** A failure as it crosses a transport: a stable code and a one-line, human message. */
export interface ReplyError {
  readonly code: ErrorCode;
  readonly message: string;
}

/** The answer to a request: its result, or an error. */
export type Reply<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ReplyError };

/** A successful reply. */
export function ok<T>(value: T): Reply<T> {
  return { ok: true, value };
}

/** A failed reply. */
export function fail(code: ErrorCode, message: string): { readonly ok: false; readonly error: ReplyError } {
  return { ok: false, error: { code, message } };
}

/**
 * An error core throws on purpose, with a code the adapters keep. Any other thrown value
 * becomes `internal`.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Turns anything thrown into a reply error with a one-line message. */
export function toReplyError(e: unknown): ReplyError {
  if (e instanceof AppError) return { code: e.code, message: firstLine(e.message) };
  if (e instanceof Error) return { code: 'internal', message: firstLine(e.message) || e.name };
  return { code: 'internal', message: firstLine(String(e)) };
}

function firstLine(s: string): string {
  return (stripAnsi(s).split('\n')[0] ?? '').trim().slice(0, 500);
}

/** `s` without ANSI escape sequences (native libraries such as ONNX Runtime colour their messages). */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '');
}
