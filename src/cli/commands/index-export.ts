/** `index export`: an index as Parquet files for DuckDB, pandas and the like. */
import path from 'node:path';
import { exportParquet } from '../../core/index/export-parquet.ts';
import { CliError, type CommandOutput } from '../command.ts';
import { cliErrors } from './index-options.ts';
import { queryIndex } from './workspace-index.ts';

/** The options `index export` reads (a subset of the index command's). */
export interface ExportValues {
  readonly db?: string | undefined;
  readonly data?: string | undefined;
  readonly format?: string | undefined;
  readonly out?: string | undefined;
}

/** Writes features.parquet and activations.parquet of an index into --out. */
export async function exportIndex(values: ExportValues): Promise<CommandOutput> {
  const format = values.format ?? 'parquet';
  if (format !== 'parquet') throw new CliError(`--format must be parquet, got "${format}"`, 2);
  if (!values.out) throw new CliError('index export: --out DIR is required (features.parquet and activations.parquet go there)', 2);
  const db = await queryIndex(values.db, values.data);
  const out = path.resolve(values.out);
  const r = await cliErrors(() => exportParquet(db, out));
  return {
    data: {
      features: r.features,
      activations: r.activations,
      feature_rows: r.featureRows,
      activation_rows: r.activationRows,
      bytes: r.bytes,
    },
    text: [`wrote ${r.features} (${r.featureRows} features)`, `wrote ${r.activations} (${r.activationRows} activations)`].join('\n'),
  };
}
