import { useEffect, useRef, useState } from 'react';
import type { MouseHandlerDataParam } from 'recharts';
import type { PlotArea } from './PlotAreaProbe.tsx';
import { binAtX, rangeOfBins, type ActivationRange } from './range.ts';

/** The bin under the pointer, from a chart event. */
function binAt(s: MouseHandlerDataParam): number | null {
  const v = s.activeLabel ?? s.activeTooltipIndex;
  const n = Number(v);
  return v === undefined || v === null || Number.isNaN(n) ? null : n;
}

/**
 * Dragging across a histogram's bars: `drag` is the bins dragged over so far; the range
 * goes to `onRange` when the mouse is released (anywhere). `box` goes on the element that
 * holds the chart: a release outside the chart is placed against it.
 */
export function useBinDrag(bins: number, max: number, onRange: (r: ActivationRange) => void) {
  const [drag, setDrag] = useState<{ from: number; to: number } | null>(null);
  const dragRef = useRef(drag);
  dragRef.current = drag;
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<PlotArea | null>(null);

  // A drag may end outside the chart: finish it on any mouseup, at the pointer's bin
  // (recharts throttles its move events, so the last ones may not have arrived).
  const dragging = drag !== null;
  useEffect(() => {
    if (!dragging) return;
    const up = (e: MouseEvent): void => {
      const d = dragRef.current;
      setDrag(null);
      if (!d) return;
      const left = box.current?.getBoundingClientRect().left;
      const to = left !== undefined && plot.current ? binAtX(e.clientX, left + plot.current.x, plot.current.width, bins) : d.to;
      onRange(rangeOfBins(d.from, to, max, bins));
    };
    window.addEventListener('mouseup', up);
    return () => window.removeEventListener('mouseup', up);
  }, [dragging, max, bins, onRange]);

  const onMouseDown = (s: MouseHandlerDataParam): void => {
    const b = binAt(s);
    if (b !== null) setDrag({ from: b, to: b });
  };
  const onMouseMove = (s: MouseHandlerDataParam): void => {
    const b = binAt(s);
    if (b !== null && dragRef.current) setDrag({ from: dragRef.current.from, to: b });
  };
  return { drag, box, plot, onMouseDown, onMouseMove };
}
