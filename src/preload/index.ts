/**
 * The preload bridge: exposes `window.api` (the contract's typed api over IPC) and
 * nothing else. Runs sandboxed, so it is bundled as CommonJS with only `electron`.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { createApi, type Transport } from '#shared/api.ts';
import type { AppEvent } from '#shared/contract.ts';
import { EVENT_CHANNEL, requestChannel } from '#shared/ipc.ts';

const ipcTransport: Transport = {
  request: (name, payload) => ipcRenderer.invoke(requestChannel(name), payload),
  subscribe(listener) {
    const forward = (_event: IpcRendererEvent, appEvent: AppEvent): void => listener(appEvent);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => void ipcRenderer.off(EVENT_CHANNEL, forward);
  },
};

contextBridge.exposeInMainWorld('api', createApi(ipcTransport));
