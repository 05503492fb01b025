import { createContext, createElement, useContext, useEffect, useMemo, useSyncExternalStore, type ReactNode } from 'react';

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

const currentHash = (): string => window.location.hash;

/** What follows the screen id in the URL: path segments and query parameters. */
export interface RouteParams {
  readonly path: readonly string[];
  readonly query: URLSearchParams;
}

/** The screen the URL names and what follows its id, read from one hash. */
export interface Route extends RouteParams {
  readonly id: RouteId;
}

/** The route a hash names (an unknown screen id: the overview). */
export function routeOf(hash: string): Route {
  const [path, query] = parts(hash);
  const id = routes.find((r) => r.id === path[0])?.id ?? 'overview';
  return { id, path: path.slice(1), query: new URLSearchParams(query) };
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

/**
 * The route as the URL names it, followed through hash changes. Only the app's root reads
 * the URL: screens get the route it rendered from RouteContext, so a screen re-rendering for
 * its own reasons between a link's click and the `hashchange` event can never read the next
 * screen's URL as its own (a feature page taking `#/steer?add=1` for its search tab, say).
 */
export function useHashRoute(): Route {
  const hash = useSyncExternalStore(subscribe, currentHash);
  return useMemo(() => routeOf(hash), [hash]);
}

const RouteContext = createContext<Route | null>(null);

/** Gives the screens below it the route the app is rendering. */
export function RouteProvider({ route, children }: { route: Route; children: ReactNode }) {
  return createElement(RouteContext.Provider, { value: route }, children);
}

function useRouteContext(): Route {
  const route = useContext(RouteContext);
  if (!route) throw new Error('useRoute outside RouteProvider');
  return route;
}

/** The current screen's deeper path and query, as the app is rendering them. */
export function useRouteParams(): RouteParams {
  return useRouteContext();
}

/** The screen showing now. */
export function useRoute(): RouteId {
  return useRouteContext().id;
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
