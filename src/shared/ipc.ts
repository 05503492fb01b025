/**
 * The IPC channel map shared by src/main and src/preload. Only their typed wrappers use
 * these names; nothing else touches ipcMain/ipcRenderer.
 */
import type { RequestName } from './contract.ts';

/** The channel a request travels on: one `ipcMain.handle` per request name. */
export function requestChannel(name: RequestName): `api:${RequestName}` {
  return `api:${name}`;
}

/** The channel every core event travels on, as an `AppEvent` ({ name, data }). */
export const EVENT_CHANNEL = 'api:event';
