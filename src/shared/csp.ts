/**
 * The Content-Security-Policy of the renderer, for every host: the Electron protocol
 * handler and the serve host send it as a header, and the built index.html carries it as
 * a meta tag. No eval, no inline script, no remote origins.
 */
export const rendererCsp: string = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The same policy minus the directives browsers ignore in a <meta> tag. */
export const rendererCspMeta: string = rendererCsp
  .split('; ')
  .filter((d) => !d.startsWith('frame-ancestors'))
  .join('; ');
