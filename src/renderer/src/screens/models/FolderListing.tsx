import type { LocalFolder } from '#shared/hub-types.ts';
import { Badge, Button } from '../../components/ui.tsx';
import type { UsePath } from './format.ts';
import { UseButtons } from './UseButtons.tsx';

/** A folder's entries (or the roots the app may reach): folders open, models and SAEs can be used. */
export function FolderListing({ listing, use, open }: { listing: LocalFolder; use: UsePath; open: (dir: string | undefined) => void }) {
  return (
    <>
      <div className="mt-3 flex flex-wrap items-center gap-2 text-xs">
        <span className="min-w-0 flex-1 break-all font-mono" data-testid="folder-current">
          {listing.dir ?? 'Folders the app may reach'}
        </span>
        {listing.dir !== null && <Button onClick={() => open(listing.parent ?? undefined)}>Up</Button>}
        {listing.dir !== null && <UseButtons kind={null} path={listing.dir} use={use} />}
      </div>
      {listing.dir === null && (
        <p className="mt-2 text-xs text-zinc-500" data-testid="folder-roots-hint">
          {listing.canPick
            ? 'To open something elsewhere, choose its folder above.'
            : 'To reach another folder, restart the server with --allow-dir DIR (repeatable).'}
        </p>
      )}
      <ul className="mt-2 max-h-80 divide-y divide-zinc-200 overflow-y-auto text-xs dark:divide-zinc-800">
        {listing.entries.map((e) => (
          <FolderEntryRow key={e.path} entry={e} use={use} open={open} />
        ))}
        {listing.entries.length === 0 && <li className="py-2 text-zinc-500">Empty folder.</li>}
      </ul>
    </>
  );
}

/** One entry of a folder: a folder opens on click; a model or SAE folder is marked, with its use buttons. */
function FolderEntryRow({ entry: e, use, open }: { entry: LocalFolder['entries'][number]; use: UsePath; open: (dir: string) => void }) {
  return (
    <li className="flex items-center gap-2 py-1.5" data-testid="folder-entry" data-kind={e.kind ?? ''} data-root={e.root ?? ''}>
      {e.dir ? (
        <button
          type="button"
          className="min-w-0 flex-1 truncate text-left font-mono text-violet-700 hover:underline dark:text-violet-300"
          onClick={() => open(e.path)}
        >
          {e.root ? e.name : `${e.name}/`}
        </button>
      ) : (
        <span className="min-w-0 flex-1 truncate font-mono text-zinc-600 dark:text-zinc-400">{e.name}</span>
      )}
      {e.kind && <Badge tone="accent">{e.kind === 'sae' ? 'SAE' : 'model'}</Badge>}
      {e.problem && (
        <span className="max-w-[50%] truncate text-rose-600 dark:text-rose-400" title={e.problem} data-testid="folder-problem">
          not an SAE: {e.problem}
        </span>
      )}
      {e.kind && <UseButtons kind={e.kind} path={e.path} use={use} />}
    </li>
  );
}
