import { sql as sessions } from './0001-sessions.ts';
import { sql as grids } from './0002-grids.ts';

/**
 * The sessions database's migrations, in order: entry i takes `PRAGMA user_version` from i
 * to i + 1. Append new ones; never edit a released one.
 */
export const migrations: readonly string[] = [sessions, grids];
