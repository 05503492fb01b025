import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PayloadInput } from '#shared/contract.ts';
import type { SteerSession } from '#shared/steer-types.ts';
import { createCore, type Core } from '../host/core.ts';
import { Engine } from '../model/engine.ts';
import { repoRoot } from '#testing/fixtures.ts';
import { buildPrompt } from './prompt.ts';

/**
 * Chat prompts on the embedded demo: the demo is a base model without a chat template, so
 * the tests give it one (in a copy of its folder's tokenizer_config.json, or with the run).
 * The prompt is rendered and tokenized as transformers does, the tokens of each message's
 * text are known, and steering "user text only" touches exactly those.
 */
const demo = path.join(repoRoot, 'resources', 'demo');
const templates = path.join(repoRoot, 'test', 'fixtures', 'chat-templates');
const chatml = fs.readFileSync(path.join(templates, 'chatml-qwen2-instruct.jinja'), 'utf8');
const gemma = fs.readFileSync(path.join(templates, 'gemma-2-2b-it.jinja'), 'utf8');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-steer-chat-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const chat = {
  messages: [
    { role: 'system' as const, content: 'You write about history.' },
    { role: 'user' as const, content: 'The meeting was held on May' },
  ],
  addGenerationPrompt: true,
  template: chatml,
};

async function runToEnd(core: Core, payload: PayloadInput<'steer.run'>): Promise<SteerSession> {
  const done = core.bus.next('steer.done');
  const started = await core.request('steer.run', payload);
  assert.ok(started.ok, started.ok ? '' : started.error.message);
  const end = await done;
  assert.equal(end.state, 'done', end.error);
  const got = await core.request('session.get', { id: end.session });
  assert.ok(got.ok, got.ok ? '' : got.error.message);
  return got.value;
}

describe('chat prompts', () => {
  let engine: Engine;
  before(async () => {
    engine = await Engine.open({
      model: path.join(demo, 'model'),
      sae: path.join(demo, 'sae'),
      cacheDir: path.join(tmp, 'cache'),
      provider: 'cpu',
    });
  });
  after(() => engine?.close());

  test('each message’s tokens decode to its text; the rest are the template’s', () => {
    const p = buildPrompt(engine, { prompt: '', chat });
    assert.equal(
      p.text,
      '<|im_start|>system\nYou write about history.<|im_end|>\n<|im_start|>user\nThe meeting was held on May<|im_end|>\n<|im_start|>assistant\n',
    );
    assert.deepEqual(p.ids, engine.tokenizer.encode(p.text, false), 'no BOS added: the template writes what the model wants');
    assert.deepEqual(
      p.segments.map((s) => [s.role, s.message]),
      [
        ['system', 0],
        ['user', 1],
      ],
    );
    for (const s of p.segments) assert.equal(engine.tokenizer.decode(p.ids.slice(s.from, s.to)), chat.messages[s.message]!.content);
    assert.equal(p.chat?.source, 'custom');
  });

  test('a plain prompt is one user message after the BOS', () => {
    const p = buildPrompt(engine, { prompt: 'He was a well' });
    assert.equal(p.ids[0], engine.tokenizer.bosId);
    assert.deepEqual(p.segments, [{ role: 'user', message: 0, from: 1, to: p.ids.length }]);
  });
});

describe('steering a chat through the contract', () => {
  let core: Core;
  const model = path.join(tmp, 'chat-model');
  before(async () => {
    // the demo model with Gemma-2's template in its tokenizer_config.json
    fs.cpSync(path.join(demo, 'model'), model, { recursive: true });
    const cfgFile = path.join(model, 'tokenizer_config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(cfgFile, JSON.stringify({ ...cfg, chat_template: gemma }));
    core = createCore({ host: 'cli', data: { flag: path.join(tmp, 'data') } });
    const opened = await core.request('workspace.open', { model, sae: path.join(demo, 'sae') });
    assert.ok(opened.ok, opened.ok ? '' : opened.error.message);
  });
  after(() => core?.close());

  test('the model’s template is found, and it refuses a system message', async () => {
    const info = await core.request('steer.chatInfo', {});
    assert.ok(info.ok);
    assert.equal(info.value.template, gemma);
    assert.equal(info.value.source, 'tokenizer_config.json');
    assert.equal(info.value.system, false);
    const refused = await core.request('steer.run', { chat: { messages: chat.messages }, interventions: [] });
    assert.ok(!refused.ok);
    assert.match(refused.error.message, /the chat template refused this chat: System role not supported/);
  });

  test('“user text only” steers exactly the user message’s tokens; the session keeps the chat', async () => {
    const tok = await core.request('steer.tokenize', { chat: { messages: [chat.messages[1]!] } });
    assert.ok(tok.ok);
    // bos_token is the demo tokenizer's own
    assert.equal(tok.value.text, '<|endoftext|><start_of_turn>user\nThe meeting was held on May<end_of_turn>\n<start_of_turn>model\n');
    assert.equal(tok.value.ids[0], 4095, 'the template’s BOS is the BOS token');
    const user = tok.value.segments.find((s) => s.role === 'user')!;
    assert.ok(user.from > 0 && user.to < tok.value.ids.length, 'template tokens on both sides');
    const run = (positions: PayloadInput<'steer.run'>['interventions'][number]['positions']) =>
      runToEnd(core, {
        chat: { messages: [chat.messages[1]!] },
        interventions: [{ feature: 444, mode: 'clamp', value: 40, positions }],
        settings: { maxNewTokens: 10, stopAtEos: false },
      });
    const userOnly = await run('user');
    const range = await run({ from: user.from, to: user.to });
    const all = await run('all');
    assert.deepEqual(userOnly.outputs.steered, range.outputs.steered, 'the same as the user text’s token range');
    assert.notDeepEqual(userOnly.outputs.steered.ids, all.outputs.steered.ids, 'steering every position differs');
    assert.equal(userOnly.prompt, tok.value.text);
    assert.deepEqual(userOnly.promptIds, tok.value.ids);
    assert.deepEqual(userOnly.segments, tok.value.segments);
    assert.equal(userOnly.chat?.source, 'model');
    assert.equal(userOnly.chat?.template, gemma);
    assert.deepEqual(userOnly.interventions[0]!.positions, 'user');
    assert.match(userOnly.name, /^"The meeting was held on May"/, 'named after the user’s message');
    // "content" adds the generated positions to the message text
    const content = await run('content');
    const contentRange = await runToEnd(core, {
      chat: { messages: [chat.messages[1]!] },
      interventions: [
        { feature: 444, mode: 'clamp', value: 40, positions: { from: user.from, to: user.to } },
        { feature: 444, mode: 'clamp', value: 40, positions: 'generated' },
      ],
      settings: { maxNewTokens: 10, stopAtEos: false },
    });
    assert.deepEqual(content.outputs.steered.ids, contentRange.outputs.steered.ids);
  });
});
