/** The privileged scheme the packaged renderer is served from (never file://). */
export const APP_SCHEME = 'sae';

/** The host of app URLs: sae://app/index.html. */
export const APP_HOST = 'app';

/** The URL of the renderer's entry page in production. */
export const APP_ENTRY = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** What decides where the renderer comes from. */
export interface RendererSource {
  /** `app.isPackaged`: an installed app never loads a dev server. */
  readonly packaged: boolean;
  /** `ELECTRON_RENDERER_URL`, set by `electron-vite dev` to its dev server. */
  readonly devUrl?: string | undefined;
}

/**
 * Where the renderer comes from: vite's dev server (`electron-vite dev`) only in an
 * unpackaged app and only for an http(s) URL, else our own scheme. The result is the one
 * URL the main window loads and the one origin IPC trusts (see isAppUrl).
 */
export function rendererEntry(source: RendererSource): string {
  if (source.packaged || !source.devUrl) return APP_ENTRY;
  const dev = parse(source.devUrl);
  return dev && (dev.protocol === 'http:' || dev.protocol === 'https:') ? dev.href : APP_ENTRY;
}

/**
 * True when `url` is a page of the app loaded from `entry` (the value of rendererEntry):
 * same scheme, host and port. Nothing else counts, so a packaged app (entry sae://app/)
 * refuses a dev server's pages whatever the environment says.
 */
export function isAppUrl(url: string, entry: string): boolean {
  const u = parse(url);
  const e = parse(entry);
  if (!u || !e || e.host === '') return false;
  return u.protocol === e.protocol && u.host === e.host;
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}
