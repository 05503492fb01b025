import { useEffect, useRef, type KeyboardEvent, type MouseEvent } from 'react';
import { spanOf, type TokenSpan } from './prompt-span.ts';

/**
 * Selecting a span of tokens: a press selects token i and anchors there, shift extends from
 * the anchor, dragging (mouse held) extends to the token under the pointer; Enter or Space
 * acts as a press. Returns the handlers of token i.
 */
export function useSpanSelect(onSpan: (s: TokenSpan) => void) {
  const anchor = useRef<number | null>(null);
  const dragging = useRef(false);
  useEffect(() => {
    const up = (): void => void (dragging.current = false);
    window.addEventListener('mouseup', up);
    return () => window.removeEventListener('mouseup', up);
  }, []);

  return (i: number) => ({
    onMouseDown: (e: MouseEvent) => {
      if (e.shiftKey && anchor.current !== null) {
        onSpan(spanOf(anchor.current, i));
      } else {
        anchor.current = i;
        dragging.current = true;
        onSpan(spanOf(i, i));
      }
      e.preventDefault();
    },
    onMouseEnter: () => {
      if (dragging.current && anchor.current !== null) onSpan(spanOf(anchor.current, i));
    },
    onKeyDown: (e: KeyboardEvent) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        if (e.shiftKey && anchor.current !== null) onSpan(spanOf(anchor.current, i));
        else {
          anchor.current = i;
          onSpan(spanOf(i, i));
        }
      }
    },
  });
}
