import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { ChatMessage } from '#shared/steer-types.ts';
import { repoRoot } from '#testing/fixtures.ts';
import { ChatTemplate, ChatTemplateError, findChatTemplate, specialTokensMap } from './chat-template.ts';

/**
 * Chat templates rendered with @huggingface/jinja give exactly what transformers'
 * `apply_chat_template(..., tokenize=False)` gives: the expected strings in
 * test/fixtures/chat-templates/expected.json were rendered at dev time by make_expected.py with
 * Debian's python3-jinja2, set up as transformers sets it up, from the same template files
 * and conversations (cases.json).
 */
const dir = path.join(repoRoot, 'test', 'fixtures', 'chat-templates');
const read = <T>(f: string): T => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as T;

interface TemplateSpec {
  readonly file: string;
  readonly tokenizer_config: Record<string, unknown>;
}
interface Case {
  readonly name: string;
  readonly messages: ChatMessage[];
  readonly add_generation_prompt: boolean;
}
type Expected = { readonly case: string; readonly text?: string; readonly error?: string };

const templates = read<Record<string, TemplateSpec>>('templates.json');
const cases = read<Case[]>('cases.json');
const expected = read<{ templates: Record<string, Expected[]> }>('expected.json').templates;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-chat-template-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const load = (name: string): ChatTemplate => {
  const spec = templates[name]!;
  return new ChatTemplate(fs.readFileSync(path.join(dir, spec.file), 'utf8'), specialTokensMap(spec.tokenizer_config));
};

describe('chat templates render as transformers renders them', () => {
  test('the fixtures cover Llama-3.1, Gemma-2 and ChatML, every case each', () => {
    assert.deepEqual(Object.keys(templates).sort(), ['chatml-qwen2-instruct', 'gemma-2-2b-it', 'llama-3.1-8b-instruct']);
    for (const name of Object.keys(templates))
      assert.deepEqual(
        expected[name]!.map((e) => e.case),
        cases.map((c) => c.name),
      );
  });

  for (const name of Object.keys(templates)) {
    for (const [i, c] of cases.entries()) {
      const want = expected[name]![i]!;
      test(`${name}: ${c.name}`, () => {
        const t = load(name);
        if (want.error !== undefined) {
          assert.throws(
            () => t.render(c.messages, c.add_generation_prompt),
            (e: unknown) => e instanceof ChatTemplateError && e.message === want.error,
          );
          return;
        }
        assert.equal(t.render(c.messages, c.add_generation_prompt), want.text);
        // every message's text is located, in order, and the rest is the template's own
        const { text, spans } = t.renderWithSpans(c.messages, c.add_generation_prompt);
        assert.equal(text, want.text);
        assert.ok(spans, 'spans found');
        assert.deepEqual(
          spans.map((s) => s.message),
          c.messages.map((_, j) => j),
        );
        for (const s of spans) {
          const content = c.messages[s.message]!.content;
          assert.ok(
            [content, content.trim()].includes(text.slice(s.from, s.to)),
            `message ${s.message}: ${JSON.stringify(text.slice(s.from, s.to))}`,
          );
        }
        for (let j = 1; j < spans.length; j++) assert.ok(spans[j]!.from >= spans[j - 1]!.to);
      });
    }
  }

  test('special tokens: AddedToken objects give their content, null ones are left out', () => {
    assert.deepEqual(specialTokensMap(templates['chatml-qwen2-instruct']!.tokenizer_config), {
      eos_token: '<|im_end|>',
      pad_token: '<|endoftext|>',
      additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
    });
  });

  test('whether a template takes a system message', () => {
    assert.equal(load('llama-3.1-8b-instruct').allowsSystem(), true);
    assert.equal(load('chatml-qwen2-instruct').allowsSystem(), true);
    assert.equal(load('gemma-2-2b-it').allowsSystem(), false, 'Gemma-2 raises "System role not supported"');
  });

  test('a message text the template rewrites has no span; a broken template says it cannot be parsed', () => {
    const upper = new ChatTemplate("{% for m in messages %}<{{ m['role'] }}>{{ m['content'] | upper }}{% endfor %}", {});
    const r = upper.renderWithSpans([{ role: 'user', content: 'hello' }], false);
    assert.equal(r.text, '<user>HELLO');
    assert.equal(r.spans, null);
    assert.throws(() => new ChatTemplate('{% for m in messages %}', {}), /cannot be parsed/);
  });

  test('found in tokenizer_config.json (the default of named ones), else chat_template.jinja beside the model', () => {
    assert.deepEqual(findChatTemplate([tmp], { chat_template: 'A' }), { template: 'A', source: 'tokenizer_config.json' });
    assert.equal(
      findChatTemplate([tmp], {
        chat_template: [
          { name: 'tool_use', template: 'T' },
          { name: 'default', template: 'D' },
        ],
      })?.template,
      'D',
    );
    assert.equal(findChatTemplate([tmp], {}), null);
    fs.writeFileSync(path.join(tmp, 'chat_template.jinja'), '{{ messages[0].content }}');
    assert.deepEqual(findChatTemplate([tmp], {}), { template: '{{ messages[0].content }}', source: 'chat_template.jinja' });
  });
});
