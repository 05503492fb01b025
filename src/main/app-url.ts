/** The privileged scheme the packaged renderer is served from (never file://). */
export const APP_SCHEME = 'sae';

/** The host of app URLs: sae://app/index.html. */
export const APP_HOST = 'app';

/** The URL of the renderer's entry page in production. */
export const APP_ENTRY = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Where the renderer comes from: vite's dev server (`electron-vite dev`) or our scheme. */
export function rendererEntry(): string {
  return process.env['ELECTRON_RENDERER_URL'] ?? APP_ENTRY;
}

/** True when `url` is a page of this app (our scheme, or the dev server's origin in dev). */
export function isAppUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  const dev = process.env['ELECTRON_RENDERER_URL'];
  if (dev) return u.origin === new URL(dev).origin;
  return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
}
