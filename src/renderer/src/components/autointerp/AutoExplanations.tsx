import { useState } from 'react';
import type { AutoExplanation, BalancedScore } from '../../../../shared/autointerp-types.ts';
import { useApi, useRequest } from '../../api/api-context.tsx';
import { Button } from '../ui.tsx';

/** A score as shown: balanced accuracy with the counts behind it in the tooltip. */
function Score({ name, s }: { name: string; s: BalancedScore | null }) {
  if (!s) return null;
  const counts = `TP ${s.truePositives} · FP ${s.falsePositives} · TN ${s.trueNegatives} · FN ${s.falseNegatives}${s.unanswered ? ` · unanswered ${s.unanswered}` : ''}`;
  return (
    <span title={counts} data-testid={`auto-score-${name}`}>
      {name} {s.balancedAccuracy === null ? '–' : s.balancedAccuracy.toFixed(2)}
    </span>
  );
}

/**
 * The feature's automatic explanations (source `auto`, beside the user's label, never over
 * it) and an Explain button that asks the explainer chosen in Settings.
 */
export function AutoExplanations({ feature, db }: { feature: number; db: string }) {
  const api = useApi();
  const { state, reload } = useRequest('autointerp.explanations', { feature });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const explain = async () => {
    setBusy(true);
    setError(null);
    const r = await api.request('autointerp.explain', { db, feature });
    setBusy(false);
    if (r.ok) reload();
    else setError(r.error.message);
  };
  /** The user's explicit choice: the explanation becomes their label (the only way an auto text reaches it). */
  const accept = async (label: string) => {
    const r = await api.request('annotation.set', { feature, label });
    setError(r.ok ? null : r.error.message);
  };
  const list: AutoExplanation[] = state.status === 'ready' ? state.value : [];
  return (
    <div className="mt-4 border-t border-zinc-200 pt-3 dark:border-zinc-800" data-testid="auto-explanations">
      <div className="mb-1.5 flex items-center justify-between">
        <h3 className="text-xs font-medium text-zinc-500 dark:text-zinc-400">Automatic explanations</h3>
        <Button onClick={() => void explain()} disabled={busy} label="Explain this feature">
          {busy ? 'Explaining…' : 'Explain'}
        </Button>
      </div>
      {error && <p className="text-xs text-red-600 dark:text-red-400">{error}</p>}
      <ul className="space-y-1.5">
        {list.map((e) => (
          <li key={`${e.description}-${e.createdAt}`} className="text-sm" data-testid="auto-explanation">
            <p className="text-zinc-900 dark:text-zinc-100">{e.description}</p>
            <p className="flex flex-wrap gap-x-2 text-[11px] text-zinc-500 dark:text-zinc-400">
              <span>auto · {e.explainerModel}</span>
              <Score name="detection" s={e.detection} />
              <Score name="fuzzing" s={e.fuzzing} />
              <button
                type="button"
                className="underline hover:text-zinc-700 dark:hover:text-zinc-200"
                onClick={() => void accept(e.description)}
              >
                use as my label
              </button>
            </p>
          </li>
        ))}
      </ul>
    </div>
  );
}
