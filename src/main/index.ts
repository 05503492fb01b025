/**
 * The Electron main process: the shell around core. It owns windows, security settings
 * and the IPC adapter; everything the app does lives in src/core behind the contract.
 */
import path from 'node:path';
import { app, BrowserWindow, session } from 'electron';
import { createCore } from '../core/host/core.ts';
import { APP_DIR_NAME, dataFlag } from '../core/kernel/data-dir.ts';
import { rendererEntry } from './app-url.ts';
import { registerIpc } from './ipc.ts';
import { useElectronSqlite } from './native.ts';
import { pickWithDialog } from './pick.ts';
import { registerAppScheme, serveRenderer } from './protocol.ts';
import { denyPermissions, guardWebContents } from './security.ts';
import { createMainWindow } from './window.ts';

registerAppScheme();
app.enableSandbox();
guardWebContents();

// --data DIR, else $SAE_EXPLORER_DATA, else <appData>/sae-explorer; Chromium's own files go there too.
const core = createCore({
  host: 'electron',
  data: { flag: dataFlag(process.argv), fallback: path.join(app.getPath('appData'), APP_DIR_NAME) },
  // packaged: electron-builder copies resources/demo into the app's resources folder
  ...(app.isPackaged ? { resourcesDir: process.resourcesPath } : {}),
  // IPC is trusted, yet requests reach only the allowed roots and what the user picks here
  pickPath: (kind) => pickWithDialog(mainWindow, kind),
});
app.setPath('userData', core.data.dir);
useElectronSqlite();
core.boot();

// The dev server (ELECTRON_RENDERER_URL) only for an unpackaged app; decided once, so the
// window loads and IPC trusts the same origin.
const entry = rendererEntry({ packaged: app.isPackaged, devUrl: process.env['ELECTRON_RENDERER_URL'] });

let mainWindow: BrowserWindow | undefined;

if (!app.requestSingleInstanceLock()) {
  // Another instance owns this data folder; it focuses its window (second-instance below).
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow || mainWindow.isDestroyed()) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  void app.whenReady().then(() => {
    denyPermissions(session.defaultSession);
    serveRenderer(path.join(import.meta.dirname, '../renderer'));
    registerIpc(core, () => mainWindow, entry);
    mainWindow = createMainWindow(entry);
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) mainWindow = createMainWindow(entry);
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  let closing = false;
  app.on('will-quit', (event) => {
    if (closing) return;
    // Let running jobs wind down (they commit their last batch) before the process ends.
    closing = true;
    event.preventDefault();
    const patience = new Promise((resolve) => setTimeout(resolve, 5000));
    void Promise.race([core.close(), patience]).finally(() => app.quit());
  });
}
