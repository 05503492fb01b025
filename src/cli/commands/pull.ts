import type { Core, PullState } from '../../core/host/cli.ts';
import type { Payload } from '#shared/contract.ts';
import { hubKinds, hubPullPayload, type HubKind } from '#shared/hub-types.ts';
import { etaSeconds } from '#shared/format.ts';
import { AppError } from '#shared/reply.ts';
import { CliError, dataOption, defineCommand, type CliIo } from '../command.ts';
import { withCore } from '../core.ts';
import { pullOutput, pullProgressLine, type CommandOutput } from '../output.ts';

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
    const req = pullRequest(positionals[0] ?? '', values);
    const showProgress = values.progress === true || (!json && process.stderr.isTTY === true);
    // the Hub settings (token, endpoint) of the data folder, as the app's hub.pull uses them
    return withCore(values.data, (core) => download(core, req, { showProgress, json, io }));
  },
});

/** The pull the target and options name, checked by hub.pull's schema. */
function pullRequest(
  arg: string,
  values: { kind?: string | undefined; revision?: string | undefined; onnx?: string | undefined; verify?: boolean | undefined },
): Payload<'hub.pull'> {
  const kind = values.kind;
  if (kind !== undefined && !(hubKinds as readonly string[]).includes(kind)) {
    throw new CliError(`--kind must be one of ${hubKinds.join(', ')}, got "${kind}"`, 2);
  }
  const parsed = hubPullPayload.safeParse({
    ...parseTarget(arg),
    ...(values.revision ? { revision: values.revision } : {}),
    ...(kind ? { kind: kind as HubKind } : {}),
    ...(values.onnx ? { onnxFile: values.onnx } : {}),
    ...(values.verify ? { verify: true } : {}),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(`${issue?.path.join('.') || 'argument'}: ${issue?.message ?? 'invalid'} (got "${arg}")`, 2);
  }
  return parsed.data;
}

/** Prints progress at most once a second (and once at the end) when asked to. */
function progressPrinter(show: boolean, json: boolean, io: CliIo): (s: PullState, final?: boolean) => void {
  const started = performance.now();
  let lastShown = 0;
  return (s, final = false) => {
    const now = performance.now();
    if (!show || (!final && now - lastShown < 1000)) return;
    lastShown = now;
    const seconds = (now - started) / 1000;
    const rate = seconds > 0 ? s.done / seconds : 0;
    io.stderr(pullProgressLine(s, rate, etaSeconds(s.done, s.total, rate), json));
  };
}

/** Pulls through `core.hub.download`; Ctrl-C stops (a later run resumes). */
async function download(
  core: Core,
  req: Payload<'hub.pull'>,
  { showProgress, json, io }: { showProgress: boolean; json: boolean; io: CliIo },
): Promise<CommandOutput> {
  const where = core.hub.describe(req.repo, req.path, req.revision);
  const show = progressPrinter(showProgress, json, io);
  const controller = new AbortController();
  const stop = (): void => controller.abort(new AppError('cancelled', `stopped; run the same command again to resume ${where}`));
  io.signal.addEventListener('abort', stop);
  let last: PullState | null = null;
  try {
    const r = await core.hub.download(req, {
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
    return pullOutput(r, where);
  } catch (e) {
    if (e instanceof AppError) throw new CliError(e.message, e.code === 'bad_request' ? 2 : 1);
    throw e;
  } finally {
    io.signal.removeEventListener('abort', stop);
  }
}
