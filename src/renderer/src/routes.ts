import { useEffect, useSyncExternalStore } from 'react';

/** The screens of the app, in navigation order. */
export const routes = [
  { id: 'overview', label: 'Overview' },
  { id: 'models', label: 'Models' },
  { id: 'features', label: 'Features' },
  { id: 'steer', label: 'Steer' },
  { id: 'jobs', label: 'Jobs' },
  { id: 'settings', label: 'Settings' },
] as const;

/** A screen id. */
export type RouteId = (typeof routes)[number]['id'];

/** The link to a screen (hash routes work the same on sae://app and over HTTP). */
export function href(id: RouteId): string {
  return `#/${id}`;
}

function current(): RouteId {
  const id = window.location.hash.replace(/^#\/?/, '');
  return routes.find((r) => r.id === id)?.id ?? 'overview';
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

/** The screen showing now; follows the URL hash. */
export function useRoute(): RouteId {
  return useSyncExternalStore(subscribe, current);
}

/** Ctrl/Cmd + 1..6 jumps to a screen. */
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
