import { useRequest } from '../../../api/api-context.tsx';
import { cx, ErrorNote } from '../../../components/ui.tsx';
import { href, navigate } from '../../../routes.ts';
import { linkClass, Loading } from '../common/explorer-ui.tsx';
import { useListKeys } from '../common/use-list-keys.ts';

/** Every annotated feature (label, tags, lists, star) and the named lists as search links. */
export function AnnotationTable() {
  const all = useRequest('annotation.all');
  const lists = useRequest('annotation.lists');
  const rows = all.state.status === 'ready' ? all.state.value : [];
  const { active, setActive } = useListKeys({
    count: rows.length,
    onOpen: (i) => {
      const a = rows[i];
      if (a) navigate('features', [a.feature]);
    },
  });
  if (all.state.status === 'loading') return <Loading what="annotations" />;
  if (all.state.status === 'error')
    return <ErrorNote title="Could not list annotations" message={all.state.error.message} onRetry={all.reload} />;
  return (
    <div className="space-y-3">
      {lists.state.status === 'ready' && lists.state.value.length > 0 && (
        <p className="flex flex-wrap items-center gap-2 text-xs text-zinc-500 dark:text-zinc-400">
          Lists:
          {lists.state.value.map((l) => (
            <a key={l.name} className={linkClass} href={href('features', [], { list: l.name })}>
              {l.name} ({l.count})
            </a>
          ))}
        </p>
      )}
      {rows.length === 0 ? (
        <p className="text-sm text-zinc-500 dark:text-zinc-400" data-testid="no-annotations">
          No annotations yet. Open a feature and give it a label, notes or tags: they are saved as you type.
        </p>
      ) : (
        <ol className="divide-y divide-zinc-100 dark:divide-zinc-800" data-testid="annotation-list">
          {rows.map((a, i) => (
            <li key={a.feature}>
              <a
                href={href('features', [a.feature])}
                onMouseEnter={() => setActive(i)}
                className={cx(
                  'grid grid-cols-[4.5rem_minmax(0,1fr)_auto] items-center gap-3 py-1.5 text-sm focus-visible:outline-2 focus-visible:outline-violet-500',
                  i === active && 'bg-violet-50 dark:bg-violet-500/10',
                )}
                data-testid="annotation-row"
              >
                <span className="font-mono text-xs text-zinc-500 dark:text-zinc-400">
                  #{a.feature}
                  {a.starred && <span className="ml-1 text-amber-500">★</span>}
                </span>
                <span className="min-w-0 truncate">
                  {a.label || <span className="text-zinc-400 italic">no label</span>}
                  {a.notes && <span className="ml-2 text-xs text-zinc-500">{a.notes.slice(0, 120)}</span>}
                </span>
                <span className="flex gap-1">
                  {[...a.tags, ...a.lists.map((l) => `▸ ${l}`)].map((t) => (
                    <span key={t} className="rounded bg-zinc-100 px-1 text-[11px] text-zinc-600 dark:bg-zinc-800 dark:text-zinc-400">
                      {t}
                    </span>
                  ))}
                </span>
              </a>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
