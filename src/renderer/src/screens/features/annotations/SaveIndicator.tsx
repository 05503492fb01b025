import type { SaveStatus } from './annotation-saver.ts';

/** Why a save failed and what happens next: a retry, or (refused as invalid) the user's fix. */
function errorText(status: Extract<SaveStatus, { state: 'error' }>): string {
  if (status.retrying) return `Not saved: ${status.message}. Retrying; your edits are kept.`;
  if (status.field) return `Not saved: the ${status.field} field was refused (see above). Your edits are kept; fix it to save.`;
  return `Not saved: ${status.message}. Your edits are kept; change them to save again.`;
}

/** "Saved" / "Saving…" / why it is not saved, announced politely. */
export function SaveIndicator({ status }: { status: SaveStatus }) {
  const text = {
    idle: '',
    pending: 'Unsaved changes…',
    saving: 'Saving…',
    saved: 'Saved',
    error: status.state !== 'error' ? '' : errorText(status),
  }[status.state];
  return (
    <p
      aria-live="polite"
      data-testid="save-status"
      data-state={status.state}
      className={status.state === 'error' ? 'text-xs text-rose-600 dark:text-rose-400' : 'text-xs text-zinc-500 dark:text-zinc-400'}
    >
      {status.state === 'saved' && <span className="mr-1 text-emerald-600 dark:text-emerald-400">✓</span>}
      {text}
    </p>
  );
}
