/**
 * The data folder's indexes as the CLI's query commands see them: every index (`index list`)
 * and, when no `--db` is given, the index of the workspace the app has open there.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Core } from '../../core/host/cli.ts';
import type { IndexStatus } from '#shared/index-types.ts';
import { formatBytes } from '#shared/format.ts';
import { CliError, type CommandOutput } from '../command.ts';
import { request } from '../core.ts';

/** Refuses a data folder that does not exist (querying creates nothing). */
function assertDataDir(core: Core): void {
  const { dir } = core.data;
  if (!fs.existsSync(dir)) throw new CliError(`no data folder at ${dir}: pass --data DIR (the app's data folder) or --db FILE`);
}

/** The index file the workspace of that data folder uses, or null (nothing open, or no corpus). */
async function workspaceDb(core: Core): Promise<string | null> {
  return (await request(core, 'workspace.get')).db;
}

/**
 * The index a query command (`feature`, `sample`) reads: `--db` as given, else the index of
 * the model + SAE + corpus the app has open in core's data folder.
 */
export async function queryIndex(core: Core, db: string | undefined): Promise<string> {
  if (db) return path.resolve(db);
  assertDataDir(core);
  const found = await workspaceDb(core);
  if (found && fs.existsSync(found)) return found;
  throw new CliError(
    `no --db given and the app's workspace in ${core.data.dir} has no index yet: pass --db FILE ('index list' shows the indexes there)`,
    2,
  );
}

/** One row of `index list --json`: the index's status, and whether the app's workspace uses it. */
export type ListedIndex = IndexStatus & { readonly workspace: boolean };

/** `index list`: every index in the data folder, newest first, the workspace's marked with `*`. */
export async function listIndexes(core: Core): Promise<CommandOutput> {
  assertDataDir(core);
  const list = await request(core, 'index.list');
  const current = await workspaceDb(core);
  const rows: ListedIndex[] = list.map((s) => ({ ...s, workspace: s.db === current }));
  const text = rows.length
    ? [
        ...rows.map((r) =>
          [
            `${r.workspace ? '*' : ' '} ${r.db}`,
            `    ${r.state} · ${r.tokens.toLocaleString()} tokens, ${r.documents.toLocaleString()} documents · ${formatBytes(r.bytes)}`,
            `    ${r.model} / ${r.sae} (${r.hook}, ${r.dSae.toLocaleString()} features) over ${r.corpus}`,
          ].join('\n'),
        ),
        ...(rows.some((r) => r.workspace) ? ['* the index of the workspace the app has open: feature and sample read it without --db'] : []),
      ].join('\n')
    : `no indexes in ${path.join(core.data.dir, 'indexes')}`;
  return { data: rows, text };
}
