import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import type { Core } from '../core/host/core.ts';
import { requestNames } from '#shared/contract.ts';
import { EVENT_CHANNEL, requestChannel } from '#shared/ipc.ts';
import { fail } from '#shared/reply.ts';
import { isTrustedSender } from './trusted-sender.ts';

/**
 * The IPC adapter: one `ipcMain.handle` per request of the contract, each checking its
 * sender and handing the raw payload to core.dispatch (which validates it with the
 * request's schema). Replies are envelopes, never thrown errors. Every core event is
 * forwarded to the window. `entry` is the URL the window loaded (rendererEntry); only
 * pages of that origin may call. Returns a function that removes it all.
 */
export function registerIpc(core: Pick<Core, 'dispatch' | 'bus'>, window: () => BrowserWindow | undefined, entry: string): () => void {
  for (const name of requestNames) {
    ipcMain.handle(requestChannel(name), (event, payload: unknown) => {
      if (!trustedSender(event, window(), entry)) {
        return fail('forbidden', `request "${name}" from an untrusted frame (${event.senderFrame?.url ?? 'gone'})`);
      }
      return core.dispatch(name, payload);
    });
  }
  const off = core.bus.onAny((event) => {
    const win = window();
    if (win && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, event);
  });
  return () => {
    for (const name of requestNames) ipcMain.removeHandler(requestChannel(name));
    off();
  };
}

function trustedSender(event: IpcMainInvokeEvent, win: BrowserWindow | undefined, entry: string): boolean {
  const frame = event.senderFrame;
  return isTrustedSender(
    {
      senderId: event.sender.id,
      windowId: win && !win.isDestroyed() ? win.webContents.id : undefined,
      frame: frame ? { url: frame.url, isTopFrame: frame.parent === null } : null,
    },
    entry,
  );
}
