import { useState } from 'react';
import { useRequest } from '../../api/api-context.tsx';
import { Button } from '../../components/ui.tsx';
import { textInputClass } from '../../components/TextField.tsx';
import { CatalogChooser } from './CatalogChooser.tsx';
import type { StartPull } from './start-pull.ts';

export type { StartPull } from './start-pull.ts';

/** The catalog of known SAE releases: search, choose layer / width / L0, pull the SAE (and the model). */
export function CatalogTab({ pull }: { pull: StartPull }) {
  const [query, setQuery] = useState('');
  const { state } = useRequest('hub.catalog', { query });
  const [chosen, setChosen] = useState<string | null>(null);
  const entries = state.status === 'ready' ? state.value : [];
  return (
    <div data-testid="hub-catalog">
      <label className="block text-sm">
        <span className="font-medium">Search releases</span>
        <input
          type="search"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          placeholder="e.g. gpt2 res, gemma-scope-2b, llama"
          className={textInputClass}
        />
      </label>
      {state.status === 'error' && <p className="mt-2 text-sm text-rose-600">{state.error.message}</p>}
      <ul className="mt-3 divide-y divide-zinc-200 dark:divide-zinc-800">
        {entries.map((e) => (
          <li key={e.name} className="py-2" data-testid="catalog-entry" data-name={e.name}>
            <div className="flex items-center gap-3">
              <div className="min-w-0 flex-1">
                <p className="font-mono text-xs font-semibold">{e.name}</p>
                <p className="truncate text-xs text-zinc-500">
                  {e.repo} · {e.model} · {e.hook.replace('{layer}', 'L')} · {e.architecture}
                  {e.dSae ? ` · ${e.dSae.toLocaleString()} latents` : e.widths ? ` · widths ${e.widths.join(', ')}` : ''}
                </p>
              </div>
              <Button onClick={() => setChosen(chosen === e.name ? null : e.name)}>{chosen === e.name ? 'Close' : 'Choose'}</Button>
            </div>
            {chosen === e.name && <CatalogChooser entry={e} pull={pull} />}
          </li>
        ))}
        {state.status === 'ready' && entries.length === 0 && <li className="py-2 text-sm text-zinc-500">No release matches “{query}”.</li>}
      </ul>
    </div>
  );
}
