import type { LogitEffect } from '#shared/explorer-types.ts';
import { useRequest } from '../../../api/api-context.tsx';
import { ErrorNote } from '../../../components/ui.tsx';
import { Loading } from '../common/explorer-ui.tsx';
import { visibleToken } from '../examples/examples.ts';
import { LogitHistogram } from '../histogram/LogitHistogram.tsx';

/** The tokens this feature's decoder direction promotes and suppresses most (W_dec[i] · W_U), beside its effect on every token. */
export function LogitEffects({ id }: { id: number }) {
  const { state, reload } = useRequest('feature.logits', { id, k: 10 });
  if (state.status === 'loading') return <Loading what="logit effects" />;
  if (state.status === 'error') return <ErrorNote title="Could not compute logit effects" message={state.error.message} onRetry={reload} />;
  const v = state.value;
  if (!v.available) {
    return (
      <p className="text-sm text-zinc-600 dark:text-zinc-400" data-testid="logits-unavailable">
        Not available for this model: {v.reason}
      </p>
    );
  }
  return (
    <div className="space-y-3">
      <LogitHistogram histogram={v.histogram} />
      <div className="grid grid-cols-2 gap-4" data-testid="logit-effects">
        <EffectColumn title="Promotes" effects={v.promoted} tone="up" />
        <EffectColumn title="Suppresses" effects={v.suppressed} tone="down" />
      </div>
      {v.foldedNorm !== undefined && (
        <p className="mt-2 text-xs text-zinc-500 dark:text-zinc-400" data-testid="logits-basis">
          {v.foldedNorm
            ? 'W_dec · W_U with the final norm’s scale folded into W_U, as TransformerLens does.'
            : 'W_dec · W_U with the raw W_U: no final norm scale was found to fold in.'}
        </p>
      )}
    </div>
  );
}

function EffectColumn({ title, effects, tone }: { title: string; effects: readonly LogitEffect[]; tone: 'up' | 'down' }) {
  return (
    <div className="min-w-0">
      <h3 className="mb-1 text-xs font-medium text-zinc-500 dark:text-zinc-400">{title}</h3>
      <ol className="space-y-0.5">
        {effects.map((e) => (
          <li key={e.token} className="flex items-center justify-between gap-2 text-xs">
            <span
              className={
                tone === 'up'
                  ? 'truncate rounded bg-emerald-50 px-1 font-mono whitespace-pre text-emerald-800 dark:bg-emerald-500/10 dark:text-emerald-300'
                  : 'truncate rounded bg-rose-50 px-1 font-mono whitespace-pre text-rose-800 dark:bg-rose-500/10 dark:text-rose-300'
              }
              title={JSON.stringify(e.text)}
            >
              {visibleToken(e.text)}
            </span>
            <span className="shrink-0 font-mono text-zinc-500 dark:text-zinc-400">{e.value.toFixed(2)}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}
