import type { AblatedToken } from '#shared/explorer-types.ts';
import { useRequest } from '../../../api/api-context.tsx';
import { ErrorNote } from '../../../components/ui.tsx';
import { visibleToken } from './examples.ts';
import { Loading } from '../common/explorer-ui.tsx';

const signed = (v: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)}`;

/**
 * What this feature does at one example: the next-token log-probabilities with the feature
 * zero-ablated at the activating token against the clean run (computed when opened).
 */
export function ExampleEffect({ db, id, window, position }: { db: string; id: number; window: number; position: number }) {
  const { state, reload } = useRequest('feature.ablate', { db, id, window, position });
  if (state.status === 'loading') return <Loading what="the effect of removing this feature" />;
  if (state.status === 'error')
    return <ErrorNote title="Could not ablate the feature here" message={state.error.message} onRetry={reload} />;
  const r = state.value;
  return (
    <div
      className="space-y-1.5 rounded-md bg-zinc-50 p-2 text-xs dark:bg-zinc-800/50"
      data-testid="example-effect"
      data-delta={r.next ? r.next.ablated - r.next.clean : undefined}
    >
      {r.next ? (
        <p>
          Next token <Token t={r.next} />: log p {r.next.clean.toFixed(2)} → {r.next.ablated.toFixed(2)}{' '}
          <strong className={r.next.ablated < r.next.clean ? 'text-rose-700 dark:text-rose-300' : 'text-emerald-700 dark:text-emerald-300'}>
            ({signed(r.next.ablated - r.next.clean)})
          </strong>{' '}
          with feature {id} zero-ablated at the highlighted token.
        </p>
      ) : (
        <p>The highlighted token ends its window: no next token to score.</p>
      )}
      <Shift title="Fell most" tokens={r.dropped} />
      <Shift title="Rose most" tokens={r.raised} />
    </div>
  );
}

function Token({ t }: { t: AblatedToken }) {
  return (
    <span
      className="rounded bg-white px-1 font-mono whitespace-pre ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-700"
      title={JSON.stringify(t.text)}
    >
      {visibleToken(t.text)}
    </span>
  );
}

function Shift({ title, tokens }: { title: string; tokens: readonly AblatedToken[] }) {
  return (
    <p className="flex flex-wrap items-center gap-1.5">
      <span className="text-zinc-500 dark:text-zinc-400">{title}:</span>
      {tokens.map((t) => (
        <span key={t.id} className="inline-flex items-center gap-1">
          <Token t={t} />
          <span className="font-mono text-zinc-500">{signed(t.ablated - t.clean)}</span>
        </span>
      ))}
    </p>
  );
}
