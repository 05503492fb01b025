import { useState } from 'react';
import { fillCatalogPattern, type CatalogEntry, type HubTreeEntry } from '../../../../shared/hub-types.ts';
import { useApi, useRequest } from '../../api/api-context.tsx';
import { Badge, Button } from '../../components/ui.tsx';
import { textInputClass } from '../../components/TextField.tsx';

/** Starts a pull; resolves with an error message, or null once the job runs. */
export type StartPull = (payload: {
  repo: string;
  path?: string;
  revision?: string;
  kind?: 'sae' | 'model';
  onnxFile?: string;
}) => Promise<string | null>;

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
            {chosen === e.name && <Chooser entry={e} pull={pull} />}
          </li>
        ))}
        {state.status === 'ready' && entries.length === 0 && <li className="py-2 text-sm text-zinc-500">No release matches “{query}”.</li>}
      </ul>
    </div>
  );
}

/** The `{l0}` segment of a pattern as a regex over folder names, and the folder that holds them. */
function l0Folder(entry: CatalogEntry, layer: number, width: string | undefined): { dir: string; match: RegExp } | null {
  const segs = entry.path.split('/');
  const at = segs.findIndex((s) => s.includes('{l0}'));
  if (at < 0) return null;
  const dir = fillCatalogPattern(entry, segs.slice(0, at).join('/'), { layer, width });
  const seg = segs[at] ?? '';
  const [pre, post] = seg.split('{l0}');
  const esc = (s: string | undefined): string => (s ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return { dir, match: new RegExp(`^${esc(pre)}(.+)${esc(post)}$`) };
}

function Chooser({ entry, pull }: { entry: CatalogEntry; pull: StartPull }) {
  const api = useApi();
  const [layer, setLayer] = useState(entry.layers[0] ?? 0);
  const [width, setWidth] = useState(entry.widths?.[0]);
  const [l0, setL0] = useState('');
  const [l0Options, setL0Options] = useState<string[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const needsL0 = entry.path.includes('{l0}');

  let path: string | null = null;
  try {
    path = fillCatalogPattern(entry, entry.path, { layer, ...(width ? { width } : {}), ...(l0 ? { l0 } : {}) });
  } catch {
    path = null;
  }

  const listL0 = async () => {
    const where = l0Folder(entry, layer, width);
    if (!where) return;
    setBusy(true);
    const r = await api.request('hub.tree', { repo: entry.repo, path: where.dir });
    setBusy(false);
    if (!r.ok) return setMessage(r.error.message);
    const found = r.value
      .filter((t: HubTreeEntry) => t.type === 'directory')
      .map((t) => where.match.exec(t.path.split('/').pop() ?? '')?.[1])
      .filter((x): x is string => !!x)
      .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
    setL0Options(found);
    setMessage(found.length ? null : `no SAE folders in ${entry.repo}/${where.dir}`);
    if (found[0]) setL0(found[0]);
  };

  const start = async (payload: Parameters<StartPull>[0]) => {
    setBusy(true);
    setMessage(await pull(payload));
    setBusy(false);
  };

  const select = 'mt-1 block rounded-md border border-zinc-300 bg-white px-2 py-1 text-xs dark:border-zinc-700 dark:bg-zinc-900';
  return (
    <div className="mt-2 rounded-lg bg-zinc-50 p-3 text-xs dark:bg-zinc-800/50" data-testid="catalog-chooser">
      <p className="mb-2 text-zinc-600 dark:text-zinc-400">{entry.description}</p>
      <div className="flex flex-wrap items-end gap-3">
        <label>
          Layer
          <select
            className={select}
            value={layer}
            onChange={(e) => {
              setLayer(Number(e.target.value));
              setL0Options(null);
            }}
          >
            {entry.layers.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        {entry.widths && (
          <label>
            Width
            <select
              className={select}
              value={width}
              onChange={(e) => {
                setWidth(e.target.value);
                setL0Options(null);
              }}
            >
              {entry.widths.map((w) => (
                <option key={w}>{w}</option>
              ))}
            </select>
          </label>
        )}
        {needsL0 && (
          <label>
            Average L0
            {l0Options && l0Options.length > 0 ? (
              <select className={select} value={l0} onChange={(e) => setL0(e.target.value)}>
                {l0Options.map((o) => (
                  <option key={o}>{o}</option>
                ))}
              </select>
            ) : (
              <input className={`${select} w-20 font-mono`} value={l0} onChange={(e) => setL0(e.target.value.trim())} placeholder="N" />
            )}
          </label>
        )}
        {needsL0 && (
          <Button onClick={() => void listL0()} disabled={busy}>
            List from the hub
          </Button>
        )}
      </div>
      <p className="mt-2 font-mono">
        {entry.repo}:{path ?? '…'} <Badge tone="muted">{entry.hook.replace('{layer}', String(layer))}</Badge>
      </p>
      {needsL0 && entry.l0Hint && <p className="mt-1 text-zinc-500">{entry.l0Hint}</p>}
      <div className="mt-2 flex flex-wrap gap-2">
        <Button disabled={busy || !path} onClick={() => path && void start({ repo: entry.repo, path, kind: 'sae' })}>
          Pull SAE
        </Button>
        {entry.modelRepo && (
          <Button disabled={busy} onClick={() => void start({ repo: entry.modelRepo ?? '', kind: 'model' })}>
            Pull model ({entry.modelRepo})
          </Button>
        )}
      </div>
      {message && (
        <p role="alert" className="mt-2 text-rose-600 dark:text-rose-400">
          {message}
        </p>
      )}
    </div>
  );
}
