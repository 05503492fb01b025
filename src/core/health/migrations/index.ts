import { sql as initial } from './0001-initial.ts';
import { sql as contextTextField } from './0002-context-text-field.ts';

/**
 * health.sqlite's migrations, in order: entry i takes `PRAGMA user_version` from i to
 * i + 1. Append new ones; never edit a released one.
 */
export const migrations: readonly string[] = [initial, contextTextField];
