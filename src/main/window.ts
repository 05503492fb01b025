import path from 'node:path';
import { BrowserWindow, nativeTheme } from 'electron';

/**
 * Creates the main window with the renderer locked down (isolated, sandboxed, no Node) and
 * loads `entry`, the renderer URL from rendererEntry (the one origin IPC trusts).
 */
export function createMainWindow(entry: string): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 820,
    minHeight: 560,
    show: false,
    title: 'SAE Explorer',
    // Matches the renderer's background so there is no white flash in dark mode.
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#09090b' : '#ffffff',
    webPreferences: {
      // Sandboxed preloads must be CommonJS; electron.vite.config.ts builds it as index.cjs.
      preload: path.join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(entry);
  return win;
}
