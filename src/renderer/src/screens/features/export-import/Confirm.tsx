import { Button } from '../../../components/ui.tsx';

/** A confirm / cancel pair with a note beside it. */
export function Confirm({
  action,
  note,
  onConfirm,
  onCancel,
  busy,
  testId,
}: {
  action: string;
  note: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy: boolean;
  testId?: string;
}) {
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid={testId}>
      <Button onClick={onConfirm} disabled={busy}>
        {action}
      </Button>
      <Button onClick={onCancel} disabled={busy}>
        Cancel
      </Button>
      <span className="text-xs text-zinc-500 dark:text-zinc-400">{note}</span>
    </div>
  );
}
