import { useState } from 'react';
import { useApi } from '../../api/api-context.tsx';
import { Card, cx } from '../../components/ui.tsx';
import { CachedTab } from './CachedTab.tsx';
import { CatalogTab, type StartPull } from './CatalogTab.tsx';
import { FolderTab } from './FolderTab.tsx';
import type { UsePath } from './format.ts';
import { RepoTab } from './RepoTab.tsx';

const tabs = [
  { id: 'catalog', label: 'SAE catalog' },
  { id: 'repo', label: 'Hub repo' },
  { id: 'folder', label: 'Local folder' },
  { id: 'cache', label: 'HF cache' },
] as const;

type TabId = (typeof tabs)[number]['id'];

/**
 * Where models and SAEs come from: the catalog of known releases, any hub repo, a local
 * folder, or what the HF cache already holds. Pulls run as download jobs (see Downloads);
 * a folder is used by filling the open form.
 */
export function AddPanel({ use, onPulled, cacheVersion }: { use: UsePath; onPulled: () => void; cacheVersion: number }) {
  const api = useApi();
  const [tab, setTab] = useState<TabId>('catalog');
  const pull: StartPull = async (payload) => {
    const r = await api.request('hub.pull', payload);
    if (!r.ok) return r.error.message;
    onPulled();
    return null;
  };
  return (
    <Card title="Add a model or SAE" className="mt-6" data-testid="add-panel">
      <div role="tablist" aria-label="Sources" className="mb-4 flex gap-1 border-b border-zinc-200 dark:border-zinc-800">
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            aria-selected={tab === t.id}
            onClick={() => setTab(t.id)}
            className={cx(
              '-mb-px border-b-2 px-3 py-1.5 text-xs font-medium',
              tab === t.id
                ? 'border-violet-600 text-violet-700 dark:border-violet-400 dark:text-violet-300'
                : 'border-transparent text-zinc-500 hover:text-zinc-800 dark:hover:text-zinc-200',
            )}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-label={tabs.find((t) => t.id === tab)?.label}>
        {tab === 'catalog' && <CatalogTab pull={pull} />}
        {tab === 'repo' && <RepoTab pull={pull} />}
        {tab === 'folder' && <FolderTab use={use} />}
        {tab === 'cache' && <CachedTab key={cacheVersion} use={use} />}
      </div>
    </Card>
  );
}
