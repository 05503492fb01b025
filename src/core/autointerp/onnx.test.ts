import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { defaultAutointerpSettings } from '#shared/autointerp-types.ts';
import { IndexReader } from '../index/reader.ts';
import { explainFeature } from './explain.ts';
import { OnnxExplainer, plainPrompt } from './onnx.ts';
import { demoDir, demoIndex } from '#testing/autointerp/test-support.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'autointerp-onnx-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const messages = [
  { role: 'system', content: 'You label features.' },
  { role: 'user', content: 'Example 1: the <<cat>> sat' },
] as const;

describe('ONNX explainer on the embedded demo LM', () => {
  test('without a chat template: plain text in, generated text out', async () => {
    const x = await OnnxExplainer.open(path.join(demoDir, 'model'), { maxNewTokens: 12 });
    try {
      assert.equal(x.template, null);
      assert.equal(x.promptText(messages), plainPrompt(messages));
      const pieces: string[] = [];
      const text = await x.complete(messages, { onText: (p) => pieces.push(p) });
      assert.ok(text.length > 0, 'some text');
      assert.equal(pieces.length, 12, 'streamed one piece per token (no EOS in 12 greedy tokens)');
      assert.equal(await x.complete(messages), text, 'greedy: the same prompt, the same text');
    } finally {
      x.close();
    }
  });

  test('with a chat template: the prompt is rendered by it, and one explanation + score runs end to end', async () => {
    // the demo with a chat template added to its tokenizer_config.json
    const model = path.join(tmp, 'chat-model');
    fs.cpSync(path.join(demoDir, 'model'), model, { recursive: true });
    const cfgFile = path.join(model, 'tokenizer_config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
    cfg['chat_template'] =
      '{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}';
    fs.writeFileSync(cfgFile, JSON.stringify(cfg));
    const x = await OnnxExplainer.open(model, { maxNewTokens: 16 });
    const db = await demoIndex(tmp, 40);
    const reader = new IndexReader(db);
    try {
      assert.equal(
        x.promptText(messages),
        '<|system|>You label features.<|endoftext|><|user|>Example 1: the <<cat>> sat<|endoftext|><|assistant|>',
      );
      const f = reader.db.prepare('select id from features where count >= 12 order by count desc limit 1').pluck().get() as number;
      const s = { ...defaultAutointerpSettings, topExamples: 3, intervalExamples: 2, scoreExamples: 4 };
      const r = await explainFeature(reader, x, f, s);
      assert.ok(r.description.length > 0);
      assert.equal(r.explainerModel, 'onnx:chat-model');
      for (const score of [r.detection!, r.fuzzing!]) {
        const n = score.truePositives + score.falsePositives + score.trueNegatives + score.falseNegatives;
        assert.ok(n > 0, 'every item counted');
        assert.ok(score.balancedAccuracy === null || (score.balancedAccuracy >= 0 && score.balancedAccuracy <= 1));
      }
    } finally {
      reader.close();
      x.close();
    }
  });
});
