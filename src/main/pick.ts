import { dialog, type BrowserWindow, type OpenDialogOptions } from 'electron';

/**
 * The desktop app's native dialog for `files.pick`: the user picks a folder or a file, and
 * core grants it to the API (paths typed into the page reach only the allowed roots).
 */
export async function pickWithDialog(win: BrowserWindow | undefined, kind: 'folder' | 'file'): Promise<string | null> {
  const options = {
    title: kind === 'folder' ? 'Choose a folder for SAE Explorer' : 'Choose a file for SAE Explorer',
    buttonLabel: 'Allow',
    properties: [kind === 'folder' ? 'openDirectory' : 'openFile'],
  } satisfies OpenDialogOptions;
  const picked = win && !win.isDestroyed() ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  return picked.canceled ? null : (picked.filePaths[0] ?? null);
}
