import type { CatalogEntry } from '#shared/hub-types.ts';
import { Badge, Button } from '../../components/ui.tsx';
import type { StartPull } from './start-pull.ts';
import { useCatalogChoice } from './use-catalog-choice.ts';

const select = 'mt-1 block rounded-md border border-zinc-300 bg-white px-2 py-1 text-xs dark:border-zinc-700 dark:bg-zinc-900';

/** One catalog release opened: choose layer / width / L0, then pull the SAE (and its model). */
export function CatalogChooser({ entry, pull }: { entry: CatalogEntry; pull: StartPull }) {
  const choice = useCatalogChoice(entry, pull);
  const { layer, busy, path, message, start } = choice;
  const needsL0 = entry.path.includes('{l0}');
  return (
    <div className="mt-2 rounded-lg bg-zinc-50 p-3 text-xs dark:bg-zinc-800/50" data-testid="catalog-chooser">
      <p className="mb-2 text-zinc-600 dark:text-zinc-400">{entry.description}</p>
      <ChoiceFields entry={entry} needsL0={needsL0} choice={choice} />
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

/** The layer, width and average L0 pickers (L0 typed, or picked once listed from the hub). */
function ChoiceFields({ entry, needsL0, choice }: { entry: CatalogEntry; needsL0: boolean; choice: ReturnType<typeof useCatalogChoice> }) {
  const { layer, chooseLayer, width, chooseWidth, l0, setL0, l0Options, busy, listL0 } = choice;
  return (
    <div className="flex flex-wrap items-end gap-3">
      <label>
        Layer
        <select className={select} value={layer} onChange={(e) => chooseLayer(Number(e.target.value))}>
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
          <select className={select} value={width} onChange={(e) => chooseWidth(e.target.value)}>
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
  );
}
