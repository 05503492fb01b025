import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Core } from '../core/host/core.ts';
import { ANNOTATION_IMPORT_MAX_CHARS } from '#shared/annotation-types.ts';
import { fail, stripAnsi, type ErrorCode, type Reply } from '#shared/reply.ts';
import { rendererCsp } from '#shared/csp.ts';
import { hostChecker, newToken, presentedToken, TOKEN_COOKIE, tokenMatches } from './access.ts';
import { readJsonBody } from './body.ts';
import { Serial } from './serial.ts';
import { sendStatic } from './static-files.ts';

type Failure = ReturnType<typeof fail>;

/**
 * The built renderer, relative to this file: src/server → out/renderer when run from source,
 * out/cli → out/renderer from the bundled CLI (scripts/build-cli.mjs).
 */
export const defaultRendererDir = path.resolve(
  import.meta.dirname,
  path.basename(import.meta.dirname) === 'cli' ? '../renderer' : '../../out/renderer',
);

/** The port `serve` uses when none is given. */
export const DEFAULT_PORT = 4517;

/** Options of the serve host. */
export interface ServeOptions {
  /** The core to expose (its dispatcher and event bus). */
  readonly core: Pick<Core, 'dispatch' | 'bus'>;
  /** Address to bind; 127.0.0.1 unless given. */
  readonly host?: string;
  /** Port to bind; 0 picks a free one. */
  readonly port?: number;
  /** Folder of the built renderer. */
  readonly rendererDir?: string;
  /** Use this token instead of a fresh random one (tests). Every request must carry it, on loopback too. */
  readonly token?: string;
  /** Extra Host header names to accept (e.g. a DNS name of a remote GPU box). */
  readonly allowedHosts?: readonly string[];
  /** Largest accepted request body in bytes (default 1 MiB), for requests without their own limit. */
  readonly maxBodyBytes?: number;
  /** Per-request body limits in bytes, over `largeBodyLimits` (which they extend or replace). */
  readonly bodyLimits?: Readonly<Record<string, number>>;
}

/** The body limit of requests without their own. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const MiB = 1024 * 1024;

/**
 * Requests that carry a whole exported file, with the body limit each needs: an annotation
 * file may hold ANNOTATION_IMPORT_MAX_CHARS characters (the payload's max), plus a quarter
 * for JSON escaping inside the request body (a file that needs more: send it gzipped, as
 * base64); a steering session export carries its outputs whole. Such requests are read and
 * handled one at a time (see `largeRequests`), so several at once cost the memory of one.
 */
export const largeBodyLimits: Readonly<Record<string, number>> = {
  'annotation.import': Math.ceil(ANNOTATION_IMPORT_MAX_CHARS * 1.25) + MiB,
  'session.import': 64 * MiB,
};

/** A running serve host. */
export interface ServeHost {
  /** The address clients use, e.g. http://127.0.0.1:4517/. */
  readonly url: string;
  /** The URL to open in a browser: `url` plus `?token=`. */
  readonly openUrl: string;
  /** The token every request must carry (loopback too): bearer header, `?token=`, or the cookie the page gets. */
  readonly token: string;
  readonly host: string;
  readonly port: number;
  /** Stops accepting requests, ends event streams, and resolves when the socket is closed. */
  close(): Promise<void>;
}

const statusOf: Record<ErrorCode, number> = {
  bad_request: 400,
  not_found: 404,
  unauthorized: 401,
  forbidden: 403,
  too_large: 413,
  cancelled: 409,
  conflict: 409,
  unavailable: 503,
  transport: 502,
  internal: 500,
};
/** Answers the host's requests: Host and token checks, then the API, the event stream or the built renderer. */
class RequestHandler {
  readonly host: string;
  readonly token: string;
  private readonly rendererDir: string;
  private readonly maxBody: number;
  private readonly bodyLimits: ReadonlyMap<string, number>;
  private readonly hostAllowed: (host: string | undefined) => boolean;
  /** Open event streams (ended on close). */
  readonly streams = new Set<ServerResponse>();
  private readonly largeRequests = new Serial();

  constructor(private readonly options: ServeOptions) {
    this.host = options.host ?? '127.0.0.1';
    // as Jupyter: loopback too, since any local process or other user of the machine reaches it
    this.token = options.token ?? newToken();
    this.rendererDir = path.resolve(options.rendererDir ?? defaultRendererDir);
    this.maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    // a Map, so names like "constructor" find nothing
    this.bodyLimits = new Map(Object.entries({ ...largeBodyLimits, ...options.bodyLimits }));
    this.hostAllowed = hostChecker(this.host, options.allowedHosts);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    securityHeaders(res);
    // "//x" would parse as a protocol-relative URL (host x): collapse leading slashes first.
    const url = new URL((req.url ?? '/').replace(/^\/{2,}/, '/'), 'http://localhost');
    const isApi = url.pathname === '/api' || url.pathname.startsWith('/api/');

    if (!this.hostAllowed(req.headers.host)) {
      return deny(res, isApi, fail('forbidden', `host "${req.headers.host ?? ''}" is not allowed`));
    }
    const presented = presentedToken(req, url);
    if (!tokenMatches(presented, this.token)) {
      return deny(
        res,
        isApi,
        fail(
          'unauthorized',
          'a valid token is required: open the URL `serve` printed (it carries ?token=), or send Authorization: Bearer <token>',
        ),
      );
    }
    if (url.searchParams.has('token')) {
      // Opening the page with ?token= sets a cookie, so the page's fetches and EventSource carry it.
      res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(this.token)}; HttpOnly; SameSite=Strict; Path=/`);
      // ...and the page itself is shown without the token in its address (history, screenshots).
      if (!isApi && (req.method === 'GET' || req.method === 'HEAD')) return redirectWithoutToken(res, url);
    }

    if (isApi) return this.handleApi(req, res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, false, fail('bad_request', 'method not allowed'), 405);
    if (!fs.existsSync(path.join(this.rendererDir, 'index.html'))) {
      res.statusCode = 503;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(`The renderer is not built (${this.rendererDir} has no index.html). Run: npm run build\n`);
      return;
    }
    if (await sendStatic(res, this.rendererDir, url.pathname, req.method === 'HEAD')) return;
    deny(res, false, fail('not_found', 'not found'));
  }

  private async handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (url.pathname === '/api/events') {
      if (req.method !== 'GET') return deny(res, true, fail('bad_request', 'use GET for /api/events'), 405);
      return this.openEventStream(req, res);
    }
    const name = decodePathPart(url.pathname.slice('/api/'.length));
    if (name === undefined)
      return deny(res, true, fail('bad_request', `malformed %-escape in the request path ${url.pathname.slice(0, 200)}`));
    if (req.method !== 'POST') return deny(res, true, fail('bad_request', `use POST for /api/${name}`), 405);
    // A cross-site page may POST here; only same-origin pages (or non-browsers) get through.
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null' && !sameHost(origin, req.headers.host)) {
      return deny(res, true, fail('forbidden', `origin ${origin} is not allowed`));
    }
    if (origin === 'null') return deny(res, true, fail('forbidden', 'opaque origins are not allowed'));
    // JSON only: a cross-site form cannot send it without a CORS preflight, which we never grant.
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json' && !(type === '' && req.headers['content-length'] === '0')) {
      return deny(res, true, fail('bad_request', 'Content-Type must be application/json'), 415);
    }
    const limit = this.bodyLimits.get(name) ?? this.maxBody;
    // large bodies wait their turn before being read: their memory is held one at a time
    const reply =
      limit > this.maxBody
        ? await this.largeRequests.run(() => this.readAndDispatch(req, name, limit))
        : await this.readAndDispatch(req, name, limit);
    if (!reply.ok && (reply.error.code === 'too_large' || reply.error.message.startsWith('request body is not valid JSON'))) {
      res.setHeader('Connection', 'close');
    }
    sendReply(res, reply);
  }

  private async readAndDispatch(req: IncomingMessage, name: string, limit: number): Promise<Reply<unknown>> {
    const body = await readJsonBody(req, limit);
    if ('problem' in body) {
      if (body.problem.kind === 'too_large') return fail('too_large', `request body is larger than ${body.problem.limit} bytes`);
      return fail('bad_request', `request body is not valid JSON: ${body.problem.message}`);
    }
    return this.options.core.dispatch(name, body.value);
  }

  private openEventStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    // The comment tells clients (and tests) the subscription is live.
    res.write('retry: 2000\n: connected\n\n');
    const off = this.options.core.bus.onAny((event) => res.write(`data: ${JSON.stringify(event)}\n\n`));
    const ping = setInterval(() => res.write(': ping\n\n'), 20_000);
    ping.unref();
    this.streams.add(res);
    const end = (): void => {
      off();
      clearInterval(ping);
      this.streams.delete(res);
    };
    req.on('close', end);
    res.on('close', end);
  }
}

/**
 * Serves the contract over HTTP: `POST /api/<request>` with a JSON body answers a
 * `Reply`; `GET /api/events` streams every event as server-sent events; everything else
 * is the built renderer. Same validation as the IPC adapter (core.dispatch).
 */
export async function startServeHost(options: ServeOptions): Promise<ServeHost> {
  const handler = new RequestHandler(options);
  const { host, token, streams } = handler;

  const server = http.createServer((req, res) => {
    handler.handle(req, res).catch((e: unknown) => {
      console.error(`serve host: request failed: ${stripAnsi(e instanceof Error ? (e.stack ?? e.message) : String(e))}`);
      if (!res.headersSent) sendReply(res, fail('internal', 'internal error'));
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${displayHost(host)}:${address.port}/`;
  return {
    url,
    openUrl: `${url}?token=${encodeURIComponent(token)}`,
    token,
    host,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of streams) res.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** decodeURIComponent, or undefined for a malformed escape (`%E0%A4%A`, a lone `%`). */
function decodePathPart(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function sendReply(res: ServerResponse, reply: Reply<unknown>, status?: number): void {
  const body = JSON.stringify(reply);
  res.statusCode = status ?? (reply.ok ? 200 : statusOf[reply.error.code]);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

function redirectWithoutToken(res: ServerResponse, url: URL): void {
  url.searchParams.delete('token');
  res.statusCode = 303;
  // one leading slash: "//host" would be another site
  res.setHeader('Location', `/${url.pathname.replace(/^\/+/, '')}${url.search}`);
  res.setHeader('Cache-Control', 'no-store');
  res.end();
}

function deny(res: ServerResponse, json: boolean, reply: Failure, status?: number): void {
  if (json) return sendReply(res, reply, status);
  res.statusCode = status ?? statusOf[reply.error.code];
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(`${reply.error.message}\n`);
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', rendererCsp);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

/** A host to print in URLs: wildcard binds show this machine's first external IPv4. */
function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') {
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    return external?.address ?? '127.0.0.1';
  }
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
