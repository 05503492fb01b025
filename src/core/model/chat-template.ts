import fs from 'node:fs';
import path from 'node:path';
import { Template } from '@huggingface/jinja';
import type { ChatMessage } from '#shared/steer-types.ts';

/** The named special tokens a template sees (`bos_token`, `eos_token`, …), as transformers' `special_tokens_map`. */
export type SpecialTokens = Record<string, string | string[]>;

const NAMED = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;

/** A token in tokenizer_config.json: its text, or an AddedToken object with `content`. */
function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && 'content' in v && typeof v.content === 'string') return v.content;
  return undefined;
}

/**
 * The special tokens transformers passes to a chat template besides the messages: every
 * named special token tokenizer_config.json sets (null ones are left out), and
 * `additional_special_tokens`.
 */
export function specialTokensMap(tokenizerConfig: Record<string, unknown>): SpecialTokens {
  const out: SpecialTokens = {};
  for (const key of NAMED) {
    const t = tokenText(tokenizerConfig[key]);
    if (t !== undefined) out[key] = t;
  }
  const extra = tokenizerConfig['additional_special_tokens'];
  if (Array.isArray(extra) && extra.length) out['additional_special_tokens'] = extra.flatMap((v) => tokenText(v) ?? []);
  return out;
}

/** A chat template and where it was found. */
export interface FoundTemplate {
  readonly template: string;
  readonly source: string;
}

/** The default one of tokenizer_config.json's `chat_template` (a string, or named templates). */
function configTemplate(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  const named = Array.isArray(v)
    ? v.flatMap((x: unknown) =>
        x && typeof x === 'object' && 'name' in x && 'template' in x && typeof x.template === 'string'
          ? [[String(x.name), x.template] as const]
          : [],
      )
    : v && typeof v === 'object'
      ? Object.entries(v).flatMap(([k, t]) => (typeof t === 'string' ? [[k, t] as const] : []))
      : [];
  return (named.find(([k]) => k === 'default') ?? named[0])?.[1];
}

/**
 * A model's chat template: `chat_template` of its tokenizer_config.json (the `default` one
 * when it names several), else a `chat_template.jinja` (or `chat_template.json`) beside it,
 * as newer transformers save it; null when it has none (a base model).
 */
export function findChatTemplate(dirs: readonly string[], tokenizerConfig: Record<string, unknown>): FoundTemplate | null {
  const inConfig = configTemplate(tokenizerConfig['chat_template']);
  if (inConfig) return { template: inConfig, source: 'tokenizer_config.json' };
  for (const dir of dirs) {
    const jinja = path.join(dir, 'chat_template.jinja');
    if (fs.existsSync(jinja)) return { template: fs.readFileSync(jinja, 'utf8'), source: 'chat_template.jinja' };
    const json = path.join(dir, 'chat_template.json');
    if (fs.existsSync(json)) {
      try {
        const t = configTemplate((JSON.parse(fs.readFileSync(json, 'utf8')) as Record<string, unknown>)['chat_template']);
        if (t) return { template: t, source: 'chat_template.json' };
      } catch {
        // not a template file we can read: as if absent
      }
    }
  }
  return null;
}

/** A chat template that could not be parsed or refused the messages (its `raise_exception` message, or the parser's). */
export class ChatTemplateError extends Error {}

/** Character span [from, to) of message `message`'s text in a rendered chat. */
export interface TextSpan {
  readonly message: number;
  readonly from: number;
  readonly to: number;
}

/** Placeholders that survive the filters templates apply to content (trim, tojson, +): digits only, as transformers uses. */
const placeholder = (i: number): string => `9071853246${String(i).padStart(4, '0')}1130682`;

/** What a template may have made of a message's text: as is, or trimmed (Llama-3 and Gemma trim). */
const renderings = (c: string): string[] => [...new Set([c, c.trim(), c.trimStart(), c.trimEnd()])];

/**
 * A chat template rendered as transformers' `apply_chat_template(..., tokenize=False)` does:
 * @huggingface/jinja (trim_blocks, lstrip_blocks, `raise_exception`, `strftime_now`) with
 * `messages`, `tools` and `documents` (none), `add_generation_prompt`, and the tokenizer's
 * named special tokens.
 */
export class ChatTemplate {
  readonly #compiled: Template;

  constructor(
    readonly source: string,
    readonly specialTokens: SpecialTokens,
  ) {
    try {
      this.#compiled = new Template(source);
    } catch (e) {
      throw new ChatTemplateError(`the chat template cannot be parsed: ${(e as Error).message}`);
    }
  }

  /** The prompt text for these messages; a template that refuses them throws its own message. */
  render(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string {
    try {
      return this.#compiled.render({
        messages: messages.map((m) => ({ role: m.role, content: m.content })),
        tools: null,
        documents: null,
        add_generation_prompt: addGenerationPrompt,
        ...this.specialTokens,
      });
    } catch (e) {
      throw new ChatTemplateError((e as Error).message);
    }
  }

  /** Whether the template takes a system message (renders a system + user chat without raising). */
  allowsSystem(): boolean {
    try {
      const text = this.render(
        [
          { role: 'system', content: placeholder(0) },
          { role: 'user', content: placeholder(1) },
        ],
        true,
      );
      return text.includes(placeholder(0));
    } catch {
      return false;
    }
  }

  /**
   * The rendered text and where each message's text sits in it. Found by rendering again
   * with a placeholder for each message's content: the text between placeholders is the
   * template's own, and each content must appear (as is or trimmed) between those pieces.
   * `spans` is null when the template changes the text in other ways (then it cannot be
   * told apart from the template's own tokens); a message the template leaves out has none.
   */
  renderWithSpans(messages: readonly ChatMessage[], addGenerationPrompt: boolean): { text: string; spans: TextSpan[] | null } {
    const text = this.render(messages, addGenerationPrompt);
    let marked: string;
    try {
      marked = this.render(
        messages.map((m, i) => ({ ...m, content: placeholder(i) })),
        addGenerationPrompt,
      );
    } catch {
      return { text, spans: null };
    }
    const marks = messages.map((_, i) => placeholder(i));
    const pieces = marked.split(new RegExp(`(${marks.join('|')})`));
    // pieces alternate: template text, placeholder, template text, …
    const spans: TextSpan[] = [];
    let at = 0;
    if (!text.startsWith(pieces[0]!, at)) return { text, spans: null };
    at += pieces[0]!.length;
    for (let p = 1; p < pieces.length; p += 2) {
      const message = marks.indexOf(pieces[p]!);
      const after = pieces[p + 1] ?? '';
      const fits = renderings(messages[message]!.content).find((c) => text.startsWith(c, at) && text.startsWith(after, at + c.length));
      if (fits === undefined) return { text, spans: null };
      if (fits.length) spans.push({ message, from: at, to: at + fits.length });
      at += fits.length + after.length;
    }
    return { text, spans: at === text.length ? spans : null };
  }
}
