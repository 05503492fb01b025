import { formatBytes } from '#shared/format.ts';
import { useRequest } from '../../api/api-context.tsx';
import { Badge, Button } from '../../components/ui.tsx';
import type { UsePath } from './format.ts';
import { UseButtons } from './UseButtons.tsx';

/**
 * Model and SAE folders in the HF cache, downloaded here or by Python tools. Its parent keys it
 * by a cache version, so a finished download remounts it and the listing is read again.
 */
export function CachedTab({ use }: { use: UsePath }) {
  const { state, reload } = useRequest('hub.cached');
  const items = state.status === 'ready' ? state.value : [];
  return (
    <div data-testid="hub-cached">
      <div className="flex items-center gap-3">
        <p className="flex-1 text-xs text-zinc-500">Shared with Python's huggingface_hub: what either downloaded shows here.</p>
        <Button onClick={reload}>Refresh</Button>
      </div>
      {state.status === 'error' && <p className="mt-2 text-sm text-rose-600 dark:text-rose-400">{state.error.message}</p>}
      <ul className="mt-2 divide-y divide-zinc-200 text-xs dark:divide-zinc-800">
        {items.map((c) => (
          <li key={c.path} className="flex flex-wrap items-center gap-2 py-2" data-testid="cached-item" data-kind={c.kind}>
            <div className="min-w-0 flex-1">
              <p className="truncate font-mono font-medium">
                {c.repo}
                {c.label && `:${c.label}`}
              </p>
              <p className="text-zinc-500">
                {c.commit.slice(0, 10)}
                {c.refs.length > 0 && ` (${c.refs.join(', ')})`} · {c.files} {c.files === 1 ? 'file' : 'files'} · {formatBytes(c.bytes)}
              </p>
            </div>
            <Badge tone="accent">{c.kind === 'sae' ? 'SAE' : 'model'}</Badge>
            <UseButtons kind={c.kind} path={c.path} use={use} />
          </li>
        ))}
        {state.status === 'ready' && items.length === 0 && <li className="py-2 text-zinc-500">No model or SAE in the HF cache yet.</li>}
      </ul>
    </div>
  );
}
