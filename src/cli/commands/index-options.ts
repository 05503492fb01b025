import path from 'node:path';
import { AppError } from '../../shared/reply.ts';
import type { FeatureExample } from '../../shared/index-types.ts';
import { CliError, type OptionSpec } from '../command.ts';

/** Options of the index query commands (feature, sample). */
export const queryOptions = {
  db: { type: 'string', valueName: 'FILE', description: 'The index database (from `index`).' },
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

/** The --db path, which must be given. */
export function dbOption(value: string | undefined): string {
  if (!value) throw new CliError('--db FILE is required', 2);
  return path.resolve(value);
}

/** Runs core index code, turning its AppErrors into one-line CLI errors. */
export async function cliErrors<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof AppError) throw new CliError(e.message, e.code === 'bad_request' ? 2 : 1);
    throw e;
  }
}

/** One example as a line: the context with the activating token in [brackets]. */
export function formatExample(e: FeatureExample): string {
  const at = e.position - e.start;
  const text = e.tokens.map((t, i) => (i === at ? `[${t}]` : t)).join('');
  return `${e.value.toFixed(3).padStart(9)}  w${e.window}:${e.position}  ${JSON.stringify(text)}`;
}
