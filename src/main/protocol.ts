import fs from 'node:fs/promises';
import path from 'node:path';
import { protocol } from 'electron';
import { rendererCsp } from '../shared/csp.ts';
import { contentType } from '../shared/mime.ts';
import { APP_HOST, APP_SCHEME } from './app-url.ts';

/**
 * Declares our scheme as standard and secure (a real origin, module scripts and fetch
 * work). Must run before the app is ready.
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  ]);
}

/** Serves the built renderer at sae://app/, only files inside `rendererDir`, with our CSP. */
export function serveRenderer(rendererDir: string): void {
  const root = path.resolve(rendererDir);
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST || request.method !== 'GET') return new Response('not found', { status: 404 });
    let file: string;
    try {
      file = path.resolve(root, '.' + path.posix.normalize('/' + decodeURIComponent(url.pathname)));
    } catch {
      return new Response('bad path', { status: 400 });
    }
    if (file === root) file = path.join(root, 'index.html');
    if (!file.startsWith(root + path.sep)) return new Response('not found', { status: 404 });
    try {
      const body = await fs.readFile(file);
      return new Response(new Uint8Array(body), {
        headers: {
          'Content-Type': contentType(file),
          'Content-Security-Policy': rendererCsp,
          'X-Content-Type-Options': 'nosniff',
        },
      });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
}
