/**
 * The colour scale of activations on tokens: background alpha proportional to the value
 * over the feature's max. Pure: no DOM, no React.
 */

/** Alpha in [0, 1] for a value on a scale that tops out at `max`; 0 for inactive or negative values. */
export function activationAlpha(value: number, max: number): number {
  if (!(max > 0) || !(value > 0)) return 0;
  return Math.min(1, value / max);
}

/** The highlight colour (orange) of a token with this activation, for light or dark themes. */
export function activationColour(value: number, max: number, dark: boolean): string | undefined {
  const a = activationAlpha(value, max);
  if (a === 0) return undefined;
  // Dark backgrounds need a little more alpha for the same perceived strength.
  const alpha = Math.round(Math.min(1, dark ? 0.12 + a * 0.78 : 0.08 + a * 0.82) * 1000) / 1000;
  return dark ? `rgba(251, 146, 60, ${alpha})` : `rgba(249, 115, 22, ${alpha})`;
}
