import { useEffect, useReducer, useRef, type RefObject } from 'react';
import { isTypingTarget, listKey, listNav } from './list-nav.ts';

/**
 * j/k (and arrows, Home/End, PageUp/Down) move the active row of a list, Enter opens it;
 * keys typed into inputs are left alone. One list per view should use this.
 */
export function useListKeys({ count, onOpen, pageSize = 10 }: { count: number; onOpen: (index: number) => void; pageSize?: number }): {
  active: number;
  setActive: (index: number) => void;
} {
  const [state, dispatch] = useReducer(listNav, { active: -1, count });
  const latest = useRef({ state, onOpen, pageSize });
  useEffect(() => {
    latest.current = { state, onOpen, pageSize };
  });
  useEffect(() => dispatch({ type: 'count', count }), [count]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.defaultPrevented || isTypingTarget(e.target instanceof HTMLElement ? e.target : null)) return;
      const action = listKey(e, latest.current.pageSize);
      if (!action) return;
      if (action === 'open') {
        // Enter on a focused link or button does its own thing.
        const tag = e.target instanceof HTMLElement ? e.target.tagName : '';
        if (tag === 'A' || tag === 'BUTTON' || latest.current.state.active < 0) return;
        e.preventDefault();
        latest.current.onOpen(latest.current.state.active);
        return;
      }
      e.preventDefault();
      dispatch(action);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return { active: state.active, setActive: (index) => dispatch({ type: 'set', index }) };
}

/** `/` focuses (and selects) this input, from anywhere but another text field. */
export function useSlashFocus(ref: RefObject<HTMLInputElement | HTMLTextAreaElement | null>): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || isTypingTarget(e.target instanceof HTMLElement ? e.target : null)) return;
      e.preventDefault();
      ref.current?.focus();
      ref.current?.select();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [ref]);
}
