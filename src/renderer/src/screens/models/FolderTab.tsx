import { useState } from 'react';
import { useApi, useRequest } from '../../api/api-context.tsx';
import { Badge, Button } from '../../components/ui.tsx';
import { textInputClass } from '../../components/TextField.tsx';
import type { UsePath } from './format.ts';
import { UseButtons } from './UseButtons.tsx';

/**
 * A folder picker over the folders the host lets the app reach (hub.browse: the data folder,
 * the HF cache, the demo and granted folders), the same in the desktop app and in a browser
 * on the serve host: model and SAE folders are marked and can be used at once. The desktop
 * app grants more through its native dialog (files.pick); `serve` through `--allow-dir`.
 */
export function FolderTab({ use }: { use: UsePath }) {
  const api = useApi();
  const [dir, setDir] = useState<string | undefined>(undefined);
  const [typed, setTyped] = useState('');
  const [pickedFile, setPickedFile] = useState<string | null>(null);
  const [pickError, setPickError] = useState<string | null>(null);
  const { state, reload } = useRequest('hub.browse', dir ? { dir } : {});
  const listing = state.status === 'ready' ? state.value : null;
  const pick = async (kind: 'folder' | 'file'): Promise<void> => {
    const reply = await api.request('files.pick', { kind });
    setPickError(reply.ok ? null : reply.error.message);
    if (!reply.ok || reply.value.path === null) return;
    if (kind === 'file') return setPickedFile(reply.value.path);
    if (dir === reply.value.path) reload();
    else setDir(reply.value.path);
  };
  return (
    <div data-testid="folder-picker">
      <form
        className="flex items-end gap-2"
        aria-label="Go to a folder"
        onSubmit={(e) => {
          e.preventDefault();
          if (typed.trim()) setDir(typed.trim());
        }}
      >
        <label className="flex-1 text-sm">
          <span className="font-medium">Folder</span>
          <input
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            placeholder={listing?.dir ?? '/path/to/folder'}
            className={textInputClass}
          />
        </label>
        <Button type="submit">Go</Button>
      </form>
      {listing?.canPick && (
        <div className="mt-2 flex flex-wrap items-center gap-2 text-xs">
          <Button onClick={() => void pick('folder')}>Choose folder…</Button>
          <Button onClick={() => void pick('file')}>Choose file…</Button>
          {pickedFile && (
            <>
              <span className="min-w-0 flex-1 break-all font-mono">{pickedFile}</span>
              <UseButtons kind={null} path={pickedFile} use={use} />
            </>
          )}
        </div>
      )}
      {pickError && <p className="mt-2 text-sm text-rose-600 dark:text-rose-400">{pickError}</p>}
      {state.status === 'error' && <p className="mt-2 text-sm text-rose-600 dark:text-rose-400">{state.error.message}</p>}
      {listing && (
        <>
          <div className="mt-3 flex flex-wrap items-center gap-2 text-xs">
            <span className="min-w-0 flex-1 break-all font-mono" data-testid="folder-current">
              {listing.dir ?? 'Folders the app may reach'}
            </span>
            {listing.dir !== null && <Button onClick={() => setDir(listing.parent ?? undefined)}>Up</Button>}
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
              <li
                key={e.path}
                className="flex items-center gap-2 py-1.5"
                data-testid="folder-entry"
                data-kind={e.kind ?? ''}
                data-root={e.root ?? ''}
              >
                {e.dir ? (
                  <button
                    type="button"
                    className="min-w-0 flex-1 truncate text-left font-mono text-violet-700 hover:underline dark:text-violet-300"
                    onClick={() => setDir(e.path)}
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
            ))}
            {listing.entries.length === 0 && <li className="py-2 text-zinc-500">Empty folder.</li>}
          </ul>
        </>
      )}
    </div>
  );
}
