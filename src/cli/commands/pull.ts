import { resolveDataDir } from '../../core/app/data-dir.ts';
import { hubConfig } from '../../core/hub/env.ts';
import { describePull, pullFromHub, type PullState } from '../../core/hub/pull.ts';
import { hubKinds, hubPullPayload, type HubKind } from '../../shared/hub-types.ts';
import { etaSeconds, formatBytes } from '../../shared/format.ts';
import { AppError } from '../../shared/reply.ts';
import { CliError, dataOption, defineCommand } from '../command.ts';

/** `REPO[:PATH]` → repo and path. */
export function parseTarget(target: string): { repo: string; path?: string } {
  const at = target.indexOf(':');
  if (at < 0) return { repo: target };
  const p = target.slice(at + 1);
  return { repo: target.slice(0, at), ...(p ? { path: p } : {}) };
}

/** `pull`: Download an SAE or ONNX model from the HuggingFace Hub into the HF cache. */
export const pullCommand = defineCommand({
  name: 'pull',
  summary: 'Download an SAE or ONNX model from the HuggingFace Hub into the HF cache',
  usage: 'REPO[:PATH] [--revision R] [--kind sae|model] [--onnx FILE] [--verify] [--progress] [--json]',
  description: [
    'Fetches only the files needed: an SAE folder (SAELens cfg.json + sae_weights.safetensors, Gemma Scope',
    'params.npz, sparsify cfg.json + sae.safetensors), or an ONNX model (config.json, tokenizer files, one',
    'onnx/model*.onnx and its external data). Files go to the HuggingFace cache shared with Python',
    '($HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub); files already there are not fetched',
    'again, and without network the cache answers alone. The hub is $HF_ENDPOINT (default huggingface.co);',
    'the token is $HF_TOKEN, else the one saved in the app, else the HF token file. Ctrl-C stops; running the',
    'same command again resumes. Prints the local folder to open, e.g.',
    '  pull jbloom/GPT2-Small-SAEs-Reformatted:blocks.8.hook_resid_pre --json',
  ].join('\n'),
  options: {
    revision: { type: 'string', valueName: 'R', description: 'Branch, tag or commit (default main).' },
    kind: { type: 'string', valueName: 'sae|model', description: 'What PATH holds (default: guessed from its files).' },
    onnx: { type: 'string', valueName: 'FILE', description: 'Models: the ONNX file to fetch, e.g. onnx/model_fp16.onnx.' },
    verify: { type: 'boolean', description: 'Hash files found in the cache too (else only their size is checked).' },
    progress: { type: 'boolean', description: 'Print progress to stderr (one JSON line a second with --json).' },
    data: dataOption,
  },
  positionals: { min: 1, max: 1 },
  json: true,
  async run({ values, positionals, json, io }) {
    const kind = values.kind;
    if (kind !== undefined && !(hubKinds as readonly string[]).includes(kind)) {
      throw new CliError(`--kind must be one of ${hubKinds.join(', ')}, got "${kind}"`, 2);
    }
    const target = parseTarget(positionals[0] ?? '');
    const parsed = hubPullPayload.safeParse({
      ...target,
      ...(values.revision ? { revision: values.revision } : {}),
      ...(kind ? { kind: kind as HubKind } : {}),
      ...(values.onnx ? { onnxFile: values.onnx } : {}),
      ...(values.verify ? { verify: true } : {}),
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CliError(`${issue?.path.join('.') || 'argument'}: ${issue?.message ?? 'invalid'} (got "${positionals[0] ?? ''}")`, 2);
    }
    const req = parsed.data;
    const config = hubConfig(process.env, resolveDataDir({ flag: values.data }).dir);
    const where = describePull(req.repo, req.path ?? '', req.revision ?? 'main');

    const showProgress = values.progress === true || (!json && process.stderr.isTTY === true);
    const started = performance.now();
    let lastShown = 0;
    const show = (s: PullState, final = false): void => {
      const now = performance.now();
      if (!showProgress || (!final && now - lastShown < 1000)) return;
      lastShown = now;
      const seconds = (now - started) / 1000;
      const rate = seconds > 0 ? s.done / seconds : 0;
      const eta = etaSeconds(s.done, s.total, rate);
      if (json) {
        io.stderr(
          `${JSON.stringify({ phase: 'download', done: s.done, total: s.total, rate: Math.round(rate), eta: eta === null ? null : Math.round(eta) })}\n`,
        );
      } else {
        const active = s.files.filter((f) => f.state === 'downloading').map((f) => f.path.split('/').pop());
        io.stderr(
          `download ${formatBytes(s.done)} / ${formatBytes(s.total)}  ${formatBytes(rate)}/s${eta === null ? '' : `  eta ${eta.toFixed(0)}s`}${active.length ? `  ${active.join(', ')}` : ''}\n`,
        );
      }
    };

    const controller = new AbortController();
    const stop = (): void => controller.abort(new AppError('cancelled', `stopped; run the same command again to resume ${where}`));
    io.signal.addEventListener('abort', stop);
    let last: PullState | null = null;
    try {
      const r = await pullFromHub(config, req, {
        signal: controller.signal,
        update: (s) => {
          last = s;
          show(s);
        },
        log: (level, message) => {
          if (level === 'warn' || level === 'error' || showProgress) io.stderr(`${level}: ${message}\n`);
        },
      });
      if (last) show(last, true);
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
    } catch (e) {
      if (e instanceof AppError) throw new CliError(e.message, e.code === 'bad_request' ? 2 : 1);
      throw e;
    } finally {
      io.signal.removeEventListener('abort', stop);
    }
  },
});
