import type { Api } from '#shared/api.ts';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a browser (serve host). */
    readonly api?: Api;
  }
}
