import path from 'node:path';
import { AppError } from '#shared/reply.ts';
import type { Intervention } from '#shared/intervention.ts';
import type { ChatPrompt, PromptSegment, SessionChat } from '#shared/steer-types.ts';
import type { Engine } from '../model/engine.ts';
import { ChatTemplate, ChatTemplateError, findChatTemplate, specialTokensMap, type FoundTemplate, type TextSpan } from '../model/chat-template.ts';

/** A prompt as the model sees it: its text, ids, where each message's text sits, and the chat it came from. */
export interface BuiltPrompt {
  readonly text: string;
  readonly ids: number[];
  readonly segments: PromptSegment[];
  readonly chat: SessionChat | null;
}

/** The open model's own chat template (tokenizer_config.json or chat_template.jinja beside it), or null. */
export function modelChatTemplate(engine: Engine): FoundTemplate | null {
  const dir = engine.folder.dir;
  return findChatTemplate([dir, path.dirname(engine.folder.onnxFile), path.join(dir, '..')], engine.folder.tokenizerConfig);
}

const compiled = new Map<string, ChatTemplate>();

/** A template compiled once per text and special tokens (a few are kept). */
export function chatTemplate(engine: Engine, source: string): ChatTemplate {
  const tokens = specialTokensMap(engine.folder.tokenizerConfig);
  const key = `${JSON.stringify(tokens)}\n${source}`;
  let t = compiled.get(key);
  if (!t) {
    try {
      t = new ChatTemplate(source, tokens);
    } catch (e) {
      throw new AppError('bad_request', (e as Error).message);
    }
    if (compiled.size >= 8) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, t);
  }
  return t;
}

/** Length of the common prefix of two id lists. */
function common(a: readonly number[], b: readonly number[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * Token positions [from, to) of character spans of `text`, whose ids are `ids`. A boundary
 * is where the tokens of the text before it end: when they are a prefix of `ids` the
 * boundary falls between tokens; otherwise a token straddles it and counts as inside.
 */
export function tokenSpans(
  encode: (s: string) => number[],
  text: string,
  ids: readonly number[],
  spans: readonly TextSpan[],
): { from: number; to: number }[] {
  const memo = new Map<number, { k: number; exact: boolean }>();
  const cut = (c: number): { k: number; exact: boolean } => {
    let r = memo.get(c);
    if (!r) {
      const before = encode(text.slice(0, c));
      const k = common(before, ids);
      r = { k, exact: k === before.length };
      memo.set(c, r);
    }
    return r;
  };
  return spans.map((s) => {
    const a = cut(s.from);
    const b = cut(s.to);
    return { from: a.k, to: Math.min(ids.length, b.exact ? b.k : b.k + 1) };
  });
}

/**
 * Builds a run's prompt. Plain text: tokenized with BOS when the SAE wants one; it is one
 * user message (BOS aside). A chat: rendered with its template (the model's own unless it
 * carries one) and tokenized as `apply_chat_template` does, without adding special tokens
 * (the template writes BOS where the model wants it).
 */
export function buildPrompt(engine: Engine, p: { readonly prompt: string; readonly chat?: ChatPrompt | undefined }): BuiltPrompt {
  if (!p.chat) {
    const ids = engine.tokenize(p.prompt);
    const bos = engine.sae.config.prependBos && ids.length > 0 && ids[0] === engine.tokenizer.bosId ? 1 : 0;
    return { text: p.prompt, ids, segments: ids.length > bos ? [{ role: 'user', message: 0, from: bos, to: ids.length }] : [], chat: null };
  }
  const found = p.chat.template ? { template: p.chat.template, source: 'custom' } : modelChatTemplate(engine);
  if (!found) {
    throw new AppError(
      'bad_request',
      'this model has no chat template (no chat_template in its tokenizer_config.json, no chat_template.jinja beside it): send plain text, or give a template',
    );
  }
  let rendered: { text: string; spans: TextSpan[] | null };
  try {
    rendered = chatTemplate(engine, found.template).renderWithSpans(p.chat.messages, p.chat.addGenerationPrompt);
  } catch (e) {
    if (e instanceof ChatTemplateError) throw new AppError('bad_request', `the chat template refused this chat: ${e.message}`);
    throw e;
  }
  const encode = (s: string): number[] => engine.tokenizer.encode(s, false);
  const ids = encode(rendered.text);
  const spans = rendered.spans ?? [];
  const segments = tokenSpans(encode, rendered.text, ids, spans).flatMap((r, i) => {
    const message = spans[i]!.message;
    return r.to > r.from ? [{ role: p.chat!.messages[message]!.role, message, ...r }] : [];
  });
  return {
    text: rendered.text,
    ids,
    // no spans: the template rewrote the text; positions by message cannot be told
    segments: rendered.spans ? segments : [],
    chat: {
      messages: p.chat.messages,
      addGenerationPrompt: p.chat.addGenerationPrompt,
      template: found.template,
      source: p.chat.template ? 'custom' : 'model',
    },
  };
}

/**
 * Checks that `user` and `content` positions can be placed: they need the prompt segments
 * that say which tokens hold message text (the engine reads them from the run's segments).
 */
export function checkPositions(list: readonly Intervention[], segments: readonly PromptSegment[]): void {
  const named = list.find((iv) => iv.positions === 'user' || iv.positions === 'content');
  if (!named || segments.length) return;
  throw new AppError(
    'bad_request',
    `positions "${String(named.positions)}" need to know which prompt tokens hold message text, and this prompt has none recorded ` +
      '(the chat template rewrites the messages, or the prompt is empty): choose all, prompt, generated or a token range',
  );
}
