/** Colours of the explorer's charts in the light and dark themes (recharts takes colours, not classes). */
export function chartColours(dark: boolean): {
  bar: string;
  selection: string;
  grid: string;
  axis: string;
  text: string;
  cursor: string;
  marker: string;
} {
  return dark
    ? {
        bar: '#a78bfa',
        selection: '#fb923c',
        grid: '#27272a',
        axis: '#52525b',
        text: '#a1a1aa',
        cursor: 'rgba(255,255,255,0.06)',
        marker: '#fb923c',
      }
    : {
        bar: '#7c3aed',
        selection: '#ea580c',
        grid: '#e4e4e7',
        axis: '#a1a1aa',
        text: '#71717a',
        cursor: 'rgba(0,0,0,0.05)',
        marker: '#ea580c',
      };
}
