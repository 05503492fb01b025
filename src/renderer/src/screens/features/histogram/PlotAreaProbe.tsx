import { useEffect, type RefObject } from 'react';
import { usePlotArea } from 'recharts';

/** Where a chart's plot area is, horizontally, in pixels from the chart's left. */
export type PlotArea = { x: number; width: number };

/** Reports the chart's plot area (inside the chart, where recharts' hooks work). */
export function PlotAreaProbe({ into }: { into: RefObject<PlotArea | null> }) {
  const area = usePlotArea();
  useEffect(() => {
    into.current = area ? { x: area.x, width: area.width } : null;
  });
  return null;
}
