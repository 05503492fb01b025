import { CliError, dataOption, type OptionSpec } from '../command.ts';

/** Options of the index query commands (feature, sample). */
export const queryOptions = {
  db: { type: 'string', valueName: 'FILE', description: "The index database (default: the app workspace's; `index list`)." },
  data: dataOption,
  id: { type: 'string', valueName: 'F', description: 'Feature id.' },
  context: { type: 'string', valueName: 'N', description: 'Tokens shown on each side of an activating token (default 8).' },
} as const satisfies Record<string, OptionSpec>;

/** A number option (finite), or the fallback when absent. */
export function numberOption(name: string, value: string | undefined, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new CliError(`--${name} is required`, 2);
    return fallback;
  }
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new CliError(`--${name} must be a number, got "${value}"`, 2);
  return n;
}

/** A non-negative integer option, or the fallback when absent. */
export function countOption(name: string, value: string | undefined, fallback?: number): number {
  const n = numberOption(name, value, fallback);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`--${name} must be a non-negative integer, got "${value}"`, 2);
  return n;
}
