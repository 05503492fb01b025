import crypto from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import type { IncomingMessage } from 'node:http';

/** The cookie that carries the token after the page was opened with `?token=`. */
export const TOKEN_COOKIE = 'sae_explorer_token';

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** A fresh random token (URL-safe, 192 bits). */
export function newToken(): string {
  return crypto.randomBytes(24).toString('base64url');
}

/** The token a request presents: `Authorization: Bearer`, `?token=`, or the cookie. */
export function presentedToken(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  return cookie(req, TOKEN_COOKIE);
}

/** Compares tokens in constant time. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined; // a malformed escape is no token
      }
    }
  }
  return undefined;
}

/** The host name of a Host (or Origin host) header value, without port or brackets. */
export function hostName(hostHeader: string): string {
  const v = hostHeader.trim().toLowerCase();
  if (v.startsWith('[')) return v.slice(1, v.indexOf(']') > 0 ? v.indexOf(']') : undefined);
  const colon = v.lastIndexOf(':');
  // A bare IPv6 address has several colons and no port.
  return colon > 0 && v.indexOf(':') === colon ? v.slice(0, colon) : v;
}

/**
 * Decides which Host headers the server answers, against DNS rebinding: a page on
 * evil.example that rebinds its name to 127.0.0.1 still sends `Host: evil.example`.
 * Bound to loopback: loopback names only. Bound elsewhere (token required anyway): IP
 * literals, this machine's names, the bound host and any `allowedHosts`.
 */
export function hostChecker(boundHost: string, allowedHosts: readonly string[] = []): (hostHeader: string | undefined) => boolean {
  const extra = new Set(allowedHosts.map((h) => h.toLowerCase()));
  if (isLoopback(boundHost)) {
    return (header) => header !== undefined && (isLoopback(hostName(header)) || extra.has(hostName(header)));
  }
  const machine = os.hostname().toLowerCase();
  const names = new Set([boundHost.toLowerCase(), 'localhost', machine, `${machine}.local`, ...extra]);
  return (header) => {
    if (header === undefined) return false;
    const name = hostName(header);
    return net.isIP(name) !== 0 || names.has(name);
  };
}
