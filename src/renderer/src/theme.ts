import { useSyncExternalStore } from 'react';

/** The user's theme choice; `system` follows the OS. */
export type ThemePreference = 'system' | 'light' | 'dark';

const KEY = 'sae-explorer.theme';
const media = window.matchMedia('(prefers-color-scheme: dark)');
const listeners = new Set<() => void>();
let preference: ThemePreference = load();

function load(): ThemePreference {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

/** Puts `light` or `dark` on <html> from the preference and the OS. */
function apply(): void {
  const dark = preference === 'dark' || (preference === 'system' && media.matches);
  document.documentElement.classList.toggle('dark', dark);
  document.documentElement.classList.toggle('light', !dark);
}

/** Applies the saved theme now and whenever the OS switches. Call once at startup. */
export function initTheme(): void {
  apply();
  media.addEventListener('change', () => {
    apply();
    listeners.forEach((l) => l());
  });
}

/** Saves and applies a theme choice. */
export function setThemePreference(next: ThemePreference): void {
  preference = next;
  try {
    localStorage.setItem(KEY, next);
  } catch {
    // Storage can be unavailable (private windows); the choice then lasts for this session.
  }
  apply();
  listeners.forEach((l) => l());
}

/** The current choice and whether dark is showing; re-renders on change. */
export function useTheme(): { preference: ThemePreference; dark: boolean } {
  const pref = useSyncExternalStore(subscribe, () => preference);
  const dark = useSyncExternalStore(subscribe, () => document.documentElement.classList.contains('dark'));
  return { preference: pref, dark };
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}
