import { sql as initial } from './0001-initial.ts';
import { sql as explanations } from './0002-explanations.ts';

/**
 * The annotations database's migrations, in order: entry i takes `PRAGMA user_version`
 * from i to i + 1. Append new ones; never edit a released one.
 */
export const migrations: readonly string[] = [initial, explanations];
