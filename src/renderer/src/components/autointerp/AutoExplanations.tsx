import { useState } from 'react';
import type { AutoExplanation, BalancedScore } from '#shared/autointerp-types.ts';
import { useApi, useRequest } from '../../api/api-context.tsx';
import { Button } from '../ui.tsx';
import { useAutointerpJob } from './use-autointerp-job.ts';

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
 * it) and an Explain button: a one-feature `autointerp.start` job with the explainer chosen in
 * Settings, whose text streams in, then its scores as each lands. Only the user's click on
 * "use as my label" makes an explanation their label.
 */
export function AutoExplanations({ feature, db, onAccepted }: { feature: number; db: string; onAccepted?: () => void }) {
  const api = useApi();
  const { state, reload } = useRequest('autointerp.explanations', { feature });
  const annotation = useRequest('annotation.get', { feature });
  const [error, setError] = useState<string | null>(null);
  const { view, start, startError } = useAutointerpJob({ onEnd: reload });
  const running = view !== null && (view.state === 'running' || view.state === 'queued');
  const explain = async () => {
    setError(null);
    await start({ db, features: [feature], stream: true, redo: true });
  };
  const accept = async (label: string) => {
    const r = await api.request('annotation.set', { feature, label });
    setError(r.ok ? null : r.error.message);
    if (r.ok) {
      annotation.reload();
      onAccepted?.();
    }
  };
  const hasLabel = annotation.state.status === 'ready' && !!annotation.state.value?.label.trim();
  const list: AutoExplanation[] = state.status === 'ready' ? state.value : [];
  const live = view?.results.get(feature) ?? null;
  const streamed = view?.text.get(feature) ?? '';
  const shownError = error ?? startError ?? (view?.state === 'failed' ? view.error : null);
  return (
    <div className="mt-4 border-t border-zinc-200 pt-3 dark:border-zinc-800" data-testid="auto-explanations">
      <div className="mb-1.5 flex items-center justify-between">
        <h3 className="text-xs font-medium text-zinc-500 dark:text-zinc-400">Automatic explanations</h3>
        <Button onClick={() => void explain()} disabled={running} label="Explain this feature">
          {running ? (live ? 'Scoring…' : 'Explaining…') : 'Explain'}
        </Button>
      </div>
      {shownError && <p className="text-xs text-red-600 dark:text-red-400">{shownError}</p>}
      {running && (
        <div className="mb-2 rounded bg-violet-50 p-2 text-sm dark:bg-violet-500/10" data-testid="auto-explain-live" aria-live="polite">
          {live ? (
            <>
              <p className="text-zinc-900 dark:text-zinc-100">{live.description}</p>
              <p className="flex gap-x-2 text-[11px] text-zinc-500 dark:text-zinc-400">
                <Score name="detection" s={live.detection} />
                <Score name="fuzzing" s={live.fuzzing} />
                <span>scoring…</span>
              </p>
            </>
          ) : (
            <p className="font-mono text-xs whitespace-pre-wrap text-zinc-600 dark:text-zinc-300">
              {streamed || 'waiting for the explainer…'}
            </p>
          )}
        </div>
      )}
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
                {hasLabel ? 'replace my label with this' : 'use as my label'}
              </button>
            </p>
          </li>
        ))}
      </ul>
    </div>
  );
}
