import { useState } from 'react';
import { useRequest } from '../../../api/api-context.tsx';
import { ErrorNote } from '../../../components/ui.tsx';
import { href } from '../../../routes.ts';
import { Loading, Segmented } from '../common/explorer-ui.tsx';
import { formatCount, formatDensity } from '../common/format.ts';

type Order = 'jaccard' | 'count';

/** The features most often active on the same tokens as this one (from the index), by Jaccard index or shared count. */
export function CooccurringFeatures({ id, db }: { id: number; db: string }) {
  const [by, setBy] = useState<Order>('jaccard');
  const { state, reload } = useRequest('feature.cooccurring', { db, id, by, n: 10 });
  return (
    <div className="space-y-2">
      <Segmented
        label="Order co-occurring features by"
        options={[
          { value: 'jaccard', label: 'Jaccard' },
          { value: 'count', label: 'shared tokens' },
        ]}
        value={by}
        onChange={setBy}
      />
      {state.status === 'loading' && <Loading what="co-occurring features" />}
      {state.status === 'error' && (
        <ErrorNote title="Could not read co-occurring features" message={state.error.message} onRetry={reload} />
      )}
      {state.status === 'ready' &&
        (state.value.features.length === 0 ? (
          <p className="text-sm text-zinc-500">No other feature fires on its tokens.</p>
        ) : (
          <>
            <ol className="divide-y divide-zinc-100 dark:divide-zinc-800" data-testid="cooccurring-features" data-by={by}>
              {state.value.features.map((f) => (
                <li key={f.id}>
                  <a
                    href={href('features', [f.id])}
                    className="flex items-center gap-2 py-1.5 text-sm hover:bg-zinc-50 focus-visible:outline-2 focus-visible:outline-violet-500 dark:hover:bg-zinc-800/50"
                    data-testid="cooccurring-feature"
                    data-feature={f.id}
                    data-count={f.count}
                    data-jaccard={f.jaccard}
                  >
                    <span className="w-14 shrink-0 font-mono text-xs text-zinc-500 dark:text-zinc-400">#{f.id}</span>
                    <span className="min-w-0 flex-1 truncate">
                      {f.label || <span className="text-zinc-400 italic dark:text-zinc-500">unlabelled</span>}
                    </span>
                    <span className="shrink-0 font-mono text-xs text-zinc-500" title="tokens where both fire">
                      {formatCount(f.count)}
                    </span>
                    <span className="w-12 shrink-0 text-right font-mono text-xs text-violet-700 dark:text-violet-300" title="Jaccard index">
                      {f.jaccard.toFixed(3)}
                    </span>
                  </a>
                </li>
              ))}
            </ol>
            <p className="text-xs text-zinc-500 dark:text-zinc-400">
              Counted over {state.value.sampled < 1 ? `a ${formatDensity(state.value.sampled)} sample of the` : 'all'} indexed tokens: this
              feature fires on {formatCount(state.value.count)}; Jaccard = shared / either.
            </p>
          </>
        ))}
    </div>
  );
}
