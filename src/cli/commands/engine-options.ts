import type { Core, Engine, EngineChoice } from '../../core/host/cli.ts';
import { isProviderName, providerNames, type ProviderName } from '#shared/providers.ts';
import { CliError, dataOption, type OptionSpec } from '../command.ts';
import { withCore } from '../core.ts';

/** Options every engine command takes: which model, SAE, hook, provider, data folder. */
export const engineOptions = {
  model: {
    type: 'string',
    valueName: 'DIR',
    description: 'Model folder (HF layout: model.onnx or onnx/model*.onnx, config.json, tokenizer.json).',
  },
  sae: { type: 'string', valueName: 'PATH', description: 'SAE folder (SAELens, sparsify, switch) or file (Gemma Scope params.npz).' },
  hook: { type: 'string', valueName: 'NAME', description: "Hook, e.g. blocks.6.hook_resid_post (default: the SAE's own)." },
  provider: { type: 'string', valueName: 'EP', description: `Force an execution provider (${providerNames.join(', ')}).` },
  data: dataOption,
} as const satisfies Record<string, OptionSpec>;

/** Prompt options: text (tokenized) or ids (used as given). */
export const promptOptions = {
  text: { type: 'string', valueName: 'T', description: 'Prompt text (tokenized; BOS only when the SAE cfg sets prepend_bos).' },
  ids: { type: 'string', valueName: '1,2,3', description: 'Prompt token ids, used as given.' },
} as const satisfies Record<string, OptionSpec>;

interface EngineValues {
  readonly model?: string | undefined;
  readonly sae?: string | undefined;
  readonly hook?: string | undefined;
  readonly provider?: string | undefined;
  readonly data?: string | undefined;
}

/** The --provider value, checked against the known providers; undefined when absent. */
export function providerOption(value: string | undefined): ProviderName | undefined {
  if (value !== undefined && !isProviderName(value)) {
    throw new CliError(`--provider must be one of ${providerNames.join(', ')}, got "${value}"`, 2);
  }
  return value;
}

/** The model + SAE the options name, checked but not opened (the evaluate command opens it in a worker). */
export function engineChoice(v: EngineValues): EngineChoice {
  if (!v.model) throw new CliError('--model DIR is required', 2);
  if (!v.sae) throw new CliError('--sae PATH is required', 2);
  const provider = providerOption(v.provider);
  return { model: v.model, sae: v.sae, ...(v.hook ? { hook: v.hook } : {}), ...(provider ? { provider } : {}) };
}

/** Opens an engine of the command's own for the options (`core.model.open`); errors become one-line CLI errors. */
export async function openEngine(core: Core, v: EngineValues): Promise<Engine> {
  const choice = engineChoice(v);
  try {
    return await core.model.open(choice);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** Runs `f` on a core for `--data` and an engine opened for the options; closes both after. */
export function withEngine<T>(v: EngineValues, f: (engine: Engine, core: Core) => Promise<T>): Promise<T> {
  engineChoice(v); // usage errors before anything opens
  return withCore(v.data, async (core) => {
    const engine = await openEngine(core, v);
    try {
      return await f(engine, core);
    } finally {
      await engine.close();
    }
  });
}

/** The prompt ids from --text or --ids (exactly one). */
export function promptIds(engine: Engine, v: { text?: string | undefined; ids?: string | undefined }): number[] {
  if ((v.text === undefined) === (v.ids === undefined)) throw new CliError('give exactly one of --text T or --ids 1,2,3', 2);
  if (v.ids !== undefined) {
    const ids = v.ids.split(',').map((s) => s.trim());
    if (!ids.length || ids.some((s) => !/^\d+$/.test(s))) throw new CliError(`--ids must be comma-separated token ids, got "${v.ids}"`, 2);
    return ids.map(Number);
  }
  const ids = engine.tokenize(v.text!);
  if (!ids.length) throw new CliError('--text is empty after tokenization', 2);
  return ids;
}

/** Parses a positive integer option. */
export function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new CliError(`--${name} must be a positive integer, got "${value}"`, 2);
  return Number(value);
}
