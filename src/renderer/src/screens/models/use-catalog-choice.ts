import { useState } from 'react';
import { fillCatalogPattern, type CatalogEntry, type HubTreeEntry } from '#shared/hub-types.ts';
import { useApi } from '../../api/api-context.tsx';
import type { StartPull } from './start-pull.ts';

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

/**
 * The layer, width and average L0 chosen of a catalog entry, the SAE path they fill its
 * pattern into (null while incomplete), the L0s listed from the hub, and the pull.
 */
export function useCatalogChoice(entry: CatalogEntry, pull: StartPull) {
  const api = useApi();
  const [layer, setLayer] = useState(entry.layers[0] ?? 0);
  const [width, setWidth] = useState(entry.widths?.[0]);
  const [l0, setL0] = useState('');
  const [l0Options, setL0Options] = useState<string[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  let path: string | null;
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

  // A new layer or width has other L0 folders.
  const chooseLayer = (l: number): void => {
    setLayer(l);
    setL0Options(null);
  };
  const chooseWidth = (w: string): void => {
    setWidth(w);
    setL0Options(null);
  };

  return { layer, chooseLayer, width, chooseWidth, l0, setL0, l0Options, message, busy, path, listL0, start };
}
