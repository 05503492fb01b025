import { formatCount } from '../common/format.ts';
import { Confirm } from './Confirm.tsx';
import type { Pending, Picked } from './use-annotation-transfer.ts';

/**
 * What an import waits for: "Import anyway" for another SAE's JSON export, or the mapping of a
 * Neuronpedia file's rows of another SAE onto this one.
 */
export function PendingImport({
  pending,
  busy,
  onConfirm,
  onCancel,
}: {
  pending: Pending;
  busy: boolean;
  onConfirm: (file: Picked, options: { force?: boolean; neuronpediaId?: string }) => void;
  onCancel: (clearError: boolean) => void;
}) {
  if (pending.kind === 'other-sae') {
    return (
      <Confirm
        testId="import-refused"
        action="Import anyway"
        note="Importing puts its labels on this SAE’s features of the same numbers; it cannot be undone."
        onConfirm={() => onConfirm(pending.file, { force: true })}
        onCancel={() => onCancel(true)}
        busy={busy}
      />
    );
  }
  return (
    <div className="space-y-2" data-testid="import-mapping">
      <p className="text-sm" role="status">
        {pending.file.name} holds {formatCount(pending.rows)} explanation{pending.rows === 1 ? '' : 's'} of{' '}
        <strong className="font-mono">{pending.from}</strong>;{' '}
        {pending.ours ? (
          <>
            this SAE is <strong className="font-mono">{pending.ours}</strong>.
          </>
        ) : (
          'this SAE has no Neuronpedia id.'
        )}
      </p>
      <Confirm
        action={`Import them as this SAE’s (${pending.from} → this SAE)`}
        note="Only do this when both name the same SAE: feature numbers are matched as they are."
        onConfirm={() => onConfirm(pending.file, { neuronpediaId: pending.from })}
        onCancel={() => onCancel(false)}
        busy={busy}
      />
    </div>
  );
}
