import path from 'node:path';
import type { ExplainerMessage } from '#shared/autointerp-types.ts';
import { generate } from '../model/generate.ts';
import { openModelFolder, type ModelFolder } from '../model/model-folder.ts';
import { chooseProviders } from '../model/providers.ts';
import { ModelRunner } from '../model/runner.ts';
import { TextTokenizer } from '../model/tokenizer.ts';
import { ChatTemplate, findChatTemplate, specialTokensMap } from '../model/chat-template.ts';
import type { CompleteOptions, Explainer } from './explainer.ts';
import { Limiter } from './limit.ts';

/** Options of the local explainer. */
export interface OnnxExplainerOptions {
  /** Tokens generated at most per answer (default 128). */
  readonly maxNewTokens?: number;
  /** Longest prompt kept, in tokens: a longer one keeps its end (default 2048). */
  readonly maxPromptTokens?: number;
}

/** The prompt as plain text, for a model without a chat template (a base model). */
export function plainPrompt(messages: readonly ExplainerMessage[]): string {
  return `${messages.map((m) => (m.role === 'assistant' ? `Answer: ${m.content}` : m.content)).join('\n\n')}\n\nAnswer:`;
}

/** The model's context length from config.json (GPT-2 `n_positions`, else `max_position_embeddings`), else 2048. */
function contextLength(folder: ModelFolder): number {
  for (const k of ['n_positions', 'max_position_embeddings', 'n_ctx']) {
    const v = folder.config[k];
    if (typeof v === 'number' && v > 0) return v;
  }
  return 2048;
}

/**
 * An explainer run by our own generation loop on an ONNX causal LM (no SAE): the prompt is
 * the model's chat template rendered over the messages when it has one, else plain text;
 * greedy decoding, one answer at a time.
 */
export class OnnxExplainer implements Explainer {
  readonly model: string;
  readonly #limiter = new Limiter(1);

  private constructor(
    readonly folder: ModelFolder,
    readonly tokenizer: TextTokenizer,
    readonly template: ChatTemplate | null,
    private readonly runner: ModelRunner,
    private readonly opts: OnnxExplainerOptions,
  ) {
    this.model = `onnx:${path.basename(path.resolve(folder.dir))}`;
  }

  /** Opens the model folder (HF layout with an ONNX export) on the best execution provider. */
  static async open(modelDir: string, opts: OnnxExplainerOptions = {}): Promise<OnnxExplainer> {
    const folder = openModelFolder(modelDir);
    const tokenizer = new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig, folder.config);
    const found = findChatTemplate([folder.dir, path.dirname(folder.onnxFile)], folder.tokenizerConfig);
    const template = found ? new ChatTemplate(found.template, specialTokensMap(folder.tokenizerConfig)) : null;
    const runner = await ModelRunner.create(folder.onnxFile, await chooseProviders(), { config: folder.config });
    return new OnnxExplainer(folder, tokenizer, template, runner, opts);
  }

  /** The prompt text these messages become (chat template, else plain). */
  promptText(messages: readonly ExplainerMessage[]): string {
    if (!this.template) return plainPrompt(messages);
    // a template without a system role gets the system text at the head of the first user turn
    const sys = messages.filter((m) => m.role === 'system').map((m) => m.content);
    const rest = messages.filter((m) => m.role !== 'system');
    const merged =
      this.template.allowsSystem() || !sys.length
        ? messages
        : rest.map((m, i) => (i === 0 ? { ...m, content: `${sys.join('\n')}\n\n${m.content}` } : m));
    return this.template.render(merged, true);
  }

  complete(messages: readonly ExplainerMessage[], opts: CompleteOptions = {}): Promise<string> {
    return this.#limiter.run(async () => {
      const text = this.promptText(messages);
      // a chat template writes the BOS itself; plain text gets the tokenizer's usual one
      let ids = this.tokenizer.encode(text, !this.template);
      const maxNew = this.opts.maxNewTokens ?? 128;
      const keep = Math.max(1, Math.min(this.opts.maxPromptTokens ?? 2048, contextLength(this.folder) - maxNew));
      if (ids.length > keep) ids = ids.slice(ids.length - keep);
      const res = await generate(this.runner, {
        promptIds: ids,
        maxNewTokens: maxNew,
        stopIds: this.tokenizer.eosIds,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.onText ? { onToken: (t) => opts.onText?.(this.tokenizer.decode([t.id])) } : {}),
      });
      const out = res.ids.filter((id) => !this.tokenizer.eosIds.includes(id));
      return this.tokenizer.decode(out);
    });
  }

  close(): void {
    void this.runner.release();
  }
}
