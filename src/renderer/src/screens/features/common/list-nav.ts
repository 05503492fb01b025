/**
 * Keyboard navigation in lists (j/k, arrows, Home/End, Enter): a reducer over the active
 * row and the key → action mapping. Pure: no DOM, no React.
 */

/** Which row is active (-1: none yet) in a list of `count` rows. */
export interface ListNavState {
  readonly active: number;
  readonly count: number;
}

/** What a key does to the list. */
export type ListNavAction =
  | { readonly type: 'move'; readonly delta: number }
  | { readonly type: 'first' }
  | { readonly type: 'last' }
  | { readonly type: 'set'; readonly index: number }
  | { readonly type: 'count'; readonly count: number };

/** The next state: moves stop at the ends; a shrinking list pulls the active row in. */
export function listNav(state: ListNavState, action: ListNavAction): ListNavState {
  const clamp = (i: number, count: number): number => (count === 0 ? -1 : Math.min(count - 1, Math.max(0, i)));
  switch (action.type) {
    case 'move':
      // From "none", moving down lands on the first row and moving up on the last.
      if (state.active < 0) return { ...state, active: clamp(action.delta > 0 ? 0 : state.count - 1, state.count) };
      return { ...state, active: clamp(state.active + action.delta, state.count) };
    case 'first':
      return { ...state, active: clamp(0, state.count) };
    case 'last':
      return { ...state, active: clamp(state.count - 1, state.count) };
    case 'set':
      return { ...state, active: action.index < 0 ? -1 : clamp(action.index, state.count) };
    case 'count':
      return { count: action.count, active: state.active < 0 ? -1 : clamp(state.active, action.count) };
  }
}

/** The keys a list understands, as KeyboardEvent fields. */
export interface KeyInfo {
  readonly key: string;
  readonly ctrlKey?: boolean;
  readonly metaKey?: boolean;
  readonly altKey?: boolean;
}

/** What a key press means for a list: an action, `open` (Enter) or nothing. */
export function listKey(e: KeyInfo, pageSize = 10): ListNavAction | 'open' | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  switch (e.key) {
    case 'j':
    case 'ArrowDown':
      return { type: 'move', delta: 1 };
    case 'k':
    case 'ArrowUp':
      return { type: 'move', delta: -1 };
    case 'PageDown':
      return { type: 'move', delta: pageSize };
    case 'PageUp':
      return { type: 'move', delta: -pageSize };
    case 'Home':
      return { type: 'first' };
    case 'End':
      return { type: 'last' };
    case 'Enter':
      return 'open';
    default:
      return null;
  }
}

/** True when a key event comes from a place that takes text (list keys and `/` must not fire there). */
export function isTypingTarget(target: { tagName?: string; isContentEditable?: boolean; type?: string } | null): boolean {
  if (!target) return false;
  if (target.isContentEditable) return true;
  const tag = (target.tagName ?? '').toUpperCase();
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  return !['checkbox', 'radio', 'button', 'submit', 'range', 'reset'].includes((target.type ?? 'text').toLowerCase());
}
