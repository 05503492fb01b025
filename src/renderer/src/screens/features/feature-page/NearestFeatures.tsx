import { useRequest } from '../../../api/api-context.tsx';
import { ErrorNote } from '../../../components/ui.tsx';
import { href } from '../../../routes.ts';
import { Loading } from '../common/explorer-ui.tsx';
import { formatDensity } from '../common/format.ts';

/** The features whose decoder rows are nearest to this one's (cosine), with links. */
export function NearestFeatures({ id, db }: { id: number; db: string }) {
  const { state, reload } = useRequest('feature.nearest', { id, n: 10, db });
  if (state.status === 'loading') return <Loading what="nearest features" />;
  if (state.status === 'error') return <ErrorNote title="Could not find nearest features" message={state.error.message} onRetry={reload} />;
  if (state.value.length === 0) return <p className="text-sm text-zinc-500">No other features.</p>;
  return (
    <ol className="divide-y divide-zinc-100 dark:divide-zinc-800" data-testid="nearest-features">
      {state.value.map((f) => (
        <li key={f.id}>
          <a
            href={href('features', [f.id])}
            className="flex items-center gap-2 py-1.5 text-sm hover:bg-zinc-50 focus-visible:outline-2 focus-visible:outline-violet-500 dark:hover:bg-zinc-800/50"
            data-testid="nearest-feature"
          >
            <span className="w-14 shrink-0 font-mono text-xs text-zinc-500 dark:text-zinc-400">#{f.id}</span>
            <span className="min-w-0 flex-1 truncate">
              {f.label || <span className="text-zinc-400 italic dark:text-zinc-500">unlabelled</span>}
            </span>
            {f.density !== null && <span className="shrink-0 font-mono text-xs text-zinc-500">{formatDensity(f.density)}</span>}
            <span className="w-12 shrink-0 text-right font-mono text-xs text-violet-700 dark:text-violet-300" title="decoder cosine">
              {f.cosine.toFixed(3)}
            </span>
          </a>
        </li>
      ))}
    </ol>
  );
}
