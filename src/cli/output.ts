/**
 * The one place results become CLI output: JSON printing, the documented snake_case JSON
 * shapes of `index`, `merge`, `index export`, `compare` and `pull` (scripts, bench/ and the
 * reference checks parse them: keep them byte for byte), and the human-readable lines.
 * Core's results stay as core has them; the CLI picks and names the keys it prints here.
 */
import type {
  DecoderComparison,
  EncodedToken,
  IndexProgress,
  IndexResult,
  MergeResult,
  ModelHooks,
  ParquetExport,
  PullState,
  ShardSpec,
} from '../core/host/cli.ts';
import type { FeatureDashboard, FeatureExample, FeatureSample } from '#shared/index-types.ts';
import type { HubPullResult } from '#shared/hub-types.ts';
import { formatBytes, formatShare } from '#shared/format.ts';

/** What a data-returning command hands back: the data (for --json) and its human rendering. */
export interface CommandOutput {
  readonly data: unknown;
  readonly text: string;
}

/** The text a command prints: its data as indented JSON with --json, else its lines; always one final newline. */
export function outputText(output: CommandOutput, json: boolean): string {
  const text = json ? JSON.stringify(output.data, null, 2) : output.text;
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** One JSON object as a line (progress on stderr with --json). */
export const jsonLine = (value: unknown): string => `${JSON.stringify(value)}\n`;

// ---- index, merge, index export ------------------------------------------------------------

/** `index`: the run's figures (snake_case keys: the documented shape), shard and truncation when they apply. */
export function indexOutput(r: IndexResult, shard: ShardSpec | undefined): CommandOutput {
  const data = {
    tokens: r.tokens,
    documents: r.documents,
    windows: r.windows,
    seconds: r.seconds,
    tokens_per_second: r.tokensPerSecond,
    activations: r.activations,
    db_bytes: r.dbBytes,
    ...(r.truncatedTokens ? { truncated_tokens: r.truncatedTokens } : {}),
    ...(r.complete ? {} : { complete: false }),
    ...(shard ? { shard: `${shard.index}/${shard.count}` } : {}),
  };
  const s = r.summary;
  const text = [
    r.complete ? `indexed ${shard ? `shard ${shard.index}/${shard.count} into ` : ''}${r.db}` : `stopped; run the same command again to resume ${r.db}`,
    `${r.tokens} tokens · ${r.documents} documents · ${r.windows} windows · ${r.activations} activations`,
    `${r.seconds}s · ${r.tokensPerSecond} tokens/s · ${r.dbBytes} bytes (${r.activations ? (r.dbBytes / r.activations).toFixed(2) : '-'} B/activation)`,
    ...(s ? [`${s.dead} dead features · ${s.dense} dense (density > 0.1) of ${s.features}`] : []),
  ].join('\n');
  return { data, text };
}

/** One `index --progress` line: JSON with --json, else `phase done / total  rate/s  eta`. */
export function indexProgressLine(p: IndexProgress, rate: number, eta: number | null, json: boolean): string {
  if (json) {
    return jsonLine({ phase: p.phase, done: p.done, total: p.total, rate: Math.round(rate), eta: eta === null ? null : Math.round(eta), batches: p.batches });
  }
  const of = p.total === null ? '' : ` / ${p.total}`;
  return `${p.phase} ${p.done}${of}  ${rate.toFixed(0)}/s${eta === null ? '' : `  eta ${eta.toFixed(0)}s`}\n`;
}

/** `merge`: the merged index's figures. */
export function mergeOutput(r: MergeResult): CommandOutput {
  const data = {
    out: r.out,
    shards: r.shards,
    tokens: r.tokens,
    documents: r.documents,
    windows: r.windows,
    activations: r.activations,
    copy_seconds: r.copySeconds,
    finalize_seconds: r.finalizeSeconds,
    seconds: r.seconds,
    db_bytes: r.dbBytes,
    ...(r.complete ? {} : { complete: false }),
  };
  const text = [
    r.complete ? `merged ${r.shards} shards into ${r.out}` : `stopped; run the same command again to finish ${r.out}`,
    `${r.tokens} tokens · ${r.documents} documents · ${r.windows} windows · ${r.activations} activations`,
    `${r.seconds}s (copy ${r.copySeconds}s, statistics ${r.finalizeSeconds}s) · ${r.dbBytes} bytes`,
  ].join('\n');
  return { data, text };
}

/** `index export`: the files written. */
export function exportOutput(r: ParquetExport): CommandOutput {
  return {
    data: { features: r.features, activations: r.activations, feature_rows: r.featureRows, activation_rows: r.activationRows, bytes: r.bytes },
    text: [`wrote ${r.features} (${r.featureRows} features)`, `wrote ${r.activations} (${r.activationRows} activations)`].join('\n'),
  };
}

// ---- feature, sample -------------------------------------------------------------------------

/** One example as a line: the context with the activating token in [brackets]. */
export function formatExample(e: FeatureExample): string {
  const at = e.position - e.start;
  const text = e.tokens.map((t, i) => (i === at ? `[${t}]` : t)).join('');
  return `${e.value.toFixed(3).padStart(9)}  w${e.window}:${e.position}  ${JSON.stringify(text)}`;
}

/** `feature`: the dashboard as is. */
export function featureOutput(f: FeatureDashboard): CommandOutput {
  const text = [
    `feature ${f.id}: count ${f.count} · density ${f.density.toExponential(3)} · max ${f.max.toFixed(4)} · mean ${f.mean.toFixed(4)}`,
    '',
    'top examples',
    ...f.top.map(formatExample),
    ...f.intervals.flatMap((iv) => [
      '',
      `(${iv.lo.toFixed(3)}, ${iv.hi.toFixed(3)}]  count ${iv.count}  share ${(iv.share * 100).toFixed(1)}%`,
      ...iv.examples.map(formatExample),
    ]),
  ].join('\n');
  return { data: f, text };
}

/** `sample`: the draw as is. */
export function sampleOutput(s: FeatureSample, q: { id: number; lo: number; hi: number }): CommandOutput {
  const text = [
    `feature ${q.id}: ${s.matching} activations in [${q.lo}, ${q.hi}), ${s.examples.length} drawn`,
    ...s.examples.map(formatExample),
  ].join('\n');
  return { data: s, text };
}

// ---- hooks, encode, compare --------------------------------------------------------------------

/** `hooks`: the model's hook points as core lists them. */
export function hooksOutput(r: ModelHooks): CommandOutput {
  const text = [
    `${r.onnxFile}: ${r.blocks} blocks${r.parallel ? ' (parallel attention + MLP: no hook_resid_mid)' : ''}`,
    ...r.hooks.map((h) => `  ${h.name.padEnd(28)} ${h.tensor}`),
  ].join('\n');
  return { data: r, text };
}

/** `encode`: the strongest latents at each token. */
export function encodeOutput(hook: string, provider: string, tokens: readonly EncodedToken[]): CommandOutput {
  const text = [
    `hook ${hook} · ${provider}`,
    ...tokens.map(
      (t, i) => `${String(i).padStart(4)} ${JSON.stringify(t.text).padEnd(10)} ${t.latents.map(([f, v]) => `${f}:${v.toFixed(2)}`).join(' ')}`,
    ),
  ].join('\n');
  return { data: { hook, tokens }, text };
}

/** `compare`: shares, mean / median and every latent's best match (max_cosine, argmax); `best`: the pairs listed in the text. */
export function compareOutput(c: DecoderComparison, best: readonly { a: number; b: number; cosine: number }[]): CommandOutput {
  const data = {
    a: c.a,
    b: c.b,
    shares: c.shares,
    mean_max_cosine: c.mean_max_cosine,
    median_max_cosine: c.median_max_cosine,
    histogram: c.histogram,
    max_cosine: Array.from(c.max),
    argmax: Array.from(c.argmax),
    seconds: c.seconds,
  };
  const text = [
    `A ${c.a.sae} (${c.a.d_sae} latents) vs B ${c.b.sae} (${c.b.d_sae} latents)${c.a.hook ? ` at ${c.a.hook}` : ''}`,
    `best cosine > 0.9: ${formatShare(c.shares.above_0_9)} · > 0.8: ${formatShare(c.shares.above_0_8)} · > 0.7: ${formatShare(c.shares.above_0_7)} of A's latents`,
    `mean ${c.mean_max_cosine.toFixed(4)} · median ${c.median_max_cosine.toFixed(4)} · ${c.seconds}s`,
    'A latent → B latent  cosine',
    ...best.map((p) => `${String(p.a).padStart(8)} → ${String(p.b).padEnd(8)}  ${p.cosine.toFixed(4)}`),
  ].join('\n');
  return { data, text };
}

// ---- pull --------------------------------------------------------------------------------------

/** `pull`: where the files are (snake_case `cached_files`: the documented shape). */
export function pullOutput(r: HubPullResult, where: string): CommandOutput {
  const data = {
    path: r.path,
    files: r.files,
    bytes: r.bytes,
    repo: r.repo,
    revision: r.revision,
    commit: r.commit,
    kind: r.kind,
    snapshot: r.snapshot,
    downloaded: r.downloaded,
    cached_files: r.cachedFiles,
    offline: r.offline,
  };
  const text = [
    `${r.kind === 'sae' ? 'SAE' : 'model'} ${where} (commit ${r.commit.slice(0, 12)})${r.offline ? ', from the cache (offline)' : ''}`,
    r.path,
    `${r.files.length} files, ${formatBytes(r.bytes)}; downloaded ${formatBytes(r.downloaded)}, ${r.cachedFiles} from the cache`,
  ].join('\n');
  return { data, text };
}

/** One `pull --progress` line: JSON with --json, else bytes, rate, eta and the files downloading. */
export function pullProgressLine(s: PullState, rate: number, eta: number | null, json: boolean): string {
  if (json) return jsonLine({ phase: 'download', done: s.done, total: s.total, rate: Math.round(rate), eta: eta === null ? null : Math.round(eta) });
  const active = s.files.filter((f) => f.state === 'downloading').map((f) => f.path.split('/').pop());
  return `download ${formatBytes(s.done)} / ${formatBytes(s.total)}  ${formatBytes(rate)}/s${eta === null ? '' : `  eta ${eta.toFixed(0)}s`}${active.length ? `  ${active.join(', ')}` : ''}\n`;
}
