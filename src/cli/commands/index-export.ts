/** `index export`: an index as Parquet files for DuckDB, pandas and the like (`core.index.exportParquet`). */
import type { Core } from '../../core/host/cli.ts';
import { CliError } from '../command.ts';
import { cliErrors } from '../core.ts';
import { exportOutput, type CommandOutput } from '../output.ts';
import { queryIndex } from './workspace-index.ts';

/** The options `index export` reads (a subset of the index command's). */
export interface ExportValues {
  readonly db?: string | undefined;
  readonly format?: string | undefined;
  readonly out?: string | undefined;
}

/** Writes features.parquet and activations.parquet of an index into --out. */
export async function exportIndex(core: Core, values: ExportValues): Promise<CommandOutput> {
  const format = values.format ?? 'parquet';
  if (format !== 'parquet') throw new CliError(`--format must be parquet, got "${format}"`, 2);
  const out = values.out;
  if (!out) throw new CliError('index export: --out DIR is required (features.parquet and activations.parquet go there)', 2);
  const db = await queryIndex(core, values.db);
  return exportOutput(await cliErrors(() => core.index.exportParquet(db, out)));
}
