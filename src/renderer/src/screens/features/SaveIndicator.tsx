import type { SaveStatus } from './annotation-saver.ts';

/** "Saved" / "Saving…" / why it is not saved, announced politely. */
export function SaveIndicator({ status }: { status: SaveStatus }) {
  const text = {
    idle: '',
    pending: 'Unsaved changes…',
    saving: 'Saving…',
    saved: 'Saved',
    error: status.state === 'error' ? `Not saved: ${status.message}. Retrying; your edits are kept.` : '',
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
