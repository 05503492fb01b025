import { useState } from 'react';
import { useApi, useRequest } from '../../api/api-context.tsx';
import { Button } from '../../components/ui.tsx';
import { textInputClass } from '../../components/TextField.tsx';
import { FolderListing } from './FolderListing.tsx';
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
      {listing && <FolderListing listing={listing} use={use} open={setDir} />}
    </div>
  );
}
