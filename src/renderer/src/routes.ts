import { useEffect, useMemo, useSyncExternalStore } from 'react';

/** The screens of the app, in navigation order. */
export const routes = [
  { id: 'overview', label: 'Overview' },
  { id: 'models', label: 'Models' },
  { id: 'features', label: 'Features' },
  { id: 'steer', label: 'Steer' },
  { id: 'health', label: 'Health' },
  { id: 'jobs', label: 'Jobs' },
  { id: 'settings', label: 'Settings' },
] as const;

/** A screen id. */
export type RouteId = (typeof routes)[number]['id'];

/**
 * The link to a screen (hash routes work the same on sae://app and over HTTP), optionally
 * deeper: `href('features', ['123'])` → `#/features/123`, with `{ add: '5' }` → `?add=5`.
 */
export function href(id: RouteId, path: readonly (string | number)[] = [], query: Record<string, string | number> = {}): string {
  const tail = path.map((p) => `/${encodeURIComponent(String(p))}`).join('');
  const q = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  return `#/${id}${tail}${q ? `?${q}` : ''}`;
}

/** Goes to a screen (see href). */
export function navigate(id: RouteId, path: readonly (string | number)[] = [], query: Record<string, string | number> = {}): void {
  window.location.hash = href(id, path, query);
}

/** The hash split into segments and query: `#/features/12?x=1` → [['features', '12'], x=1]. */
function parts(hash: string): [string[], string] {
  const raw = hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = (q < 0 ? raw : raw.slice(0, q)).split('/').filter(Boolean).map(decodeURIComponent);
  return [path, q < 0 ? '' : raw.slice(q + 1)];
}

function current(): RouteId {
  const [path] = parts(window.location.hash);
  return routes.find((r) => r.id === path[0])?.id ?? 'overview';
}

const currentHash = (): string => window.location.hash;

/** What follows the screen id in the URL: path segments and query parameters. */
export interface RouteParams {
  readonly path: readonly string[];
  readonly query: URLSearchParams;
}

/** The current screen's deeper path and query; follows the URL hash. */
export function useRouteParams(): RouteParams {
  const hash = useSyncExternalStore(subscribe, currentHash);
  return useMemo(() => {
    const [path, query] = parts(hash);
    return { path: path.slice(1), query: new URLSearchParams(query) };
  }, [hash]);
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

/** The screen showing now; follows the URL hash. */
export function useRoute(): RouteId {
  return useSyncExternalStore(subscribe, current);
}

/** Ctrl/Cmd + 1..7 jumps to a screen. */
export function useRouteShortcuts(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) return;
      const route = routes[Number(e.key) - 1];
      if (!route) return;
      e.preventDefault();
      window.location.hash = href(route.id);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
