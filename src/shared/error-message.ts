/** What a caught value says: an Error's message, anything else (a thrown string, a rejection reason) as text. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The first line of {@link errorMessage}: for one-line reports (a job's error, a log line). */
export function errorFirstLine(e: unknown): string {
  return errorMessage(e).split('\n')[0] ?? '';
}
