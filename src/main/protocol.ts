import fs from 'node:fs/promises';
import path from 'node:path';
import { protocol } from 'electron';
import { rendererCsp } from '#shared/csp.ts';
import { contentType } from '#shared/mime.ts';
import { APP_HOST, APP_SCHEME } from './app-url.ts';
import { resolveRendererPath } from './renderer-path.ts';

/**
 * Declares our scheme as standard and secure (a real origin, module scripts and fetch
 * work). Must run before the app is ready.
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  ]);
}

/**
 * Serves the built renderer at sae://app/ with our CSP: only regular files whose real path
 * (symlinks resolved) lies inside `rendererDir` (see resolveRendererPath).
 */
export function serveRenderer(rendererDir: string): void {
  const root = path.resolve(rendererDir);
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST || request.method !== 'GET') return new Response('not found', { status: 404 });
    const resolved = await resolveRendererPath(root, url.pathname);
    if ('refused' in resolved) {
      return resolved.refused === 'bad-path' ? new Response('bad path', { status: 400 }) : new Response('not found', { status: 404 });
    }
    try {
      const body = await fs.readFile(resolved.file);
      return new Response(new Uint8Array(body), {
        headers: {
          'Content-Type': contentType(resolved.file),
          'Content-Security-Policy': rendererCsp,
          'X-Content-Type-Options': 'nosniff',
        },
      });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
}
