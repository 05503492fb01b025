import { sql as initial } from './0001-initial.ts';
import { sql as topTokens } from './0002-top-tokens.ts';
import { sql as cooccurrence } from './0003-cooccurrence.ts';
import { sql as shards } from './0004-shards.ts';

/**
 * The index schema's migrations, in order: entry i takes `PRAGMA user_version` from i to
 * i + 1. Append new ones; never edit a released one.
 */
export const migrations: readonly string[] = [initial, topTokens, cooccurrence, shards];
