import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { saeLensCfg, syntheticSaeTensors, writeSaeLensFolder } from '#testing/sae/synthetic.ts';
import { referenceCases } from '#testing/fixtures.ts';
import { Engine } from './engine.ts';

/** Bad inputs give clear errors naming the file and the problem; nothing crashes. */
const ref = referenceCases().find((c) => c.name === 'gpt2-relu-l2pre')!;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-engine-err-'));
const cacheDir = path.join(tmp, 'cache');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A copy of the reference model folder with `edit` applied. */
function modelCopy(name: string, edit: (dir: string) => void): string {
  const dir = path.join(tmp, name);
  fs.cpSync(ref.modelDir, dir, { recursive: true });
  for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o644);
  edit(dir);
  return dir;
}

describe('engine errors', () => {
  test('an SAE whose d_in does not match the hook width names the SAE, both widths and W_enc', async () => {
    const sae = path.join(tmp, 'sae-32');
    writeSaeLensFolder(
      sae,
      saeLensCfg({ architecture: 'standard', dIn: 32, dSae: 64, hookName: 'blocks.1.hook_resid_pre' }),
      syntheticSaeTensors({ architecture: 'standard', dIn: 32, dSae: 64 }),
    );
    await assert.rejects(Engine.open({ model: ref.modelDir, sae, cacheDir }), (e: Error) => {
      assert.match(e.message, /sae-32/);
      assert.match(e.message, /d_in=32/);
      assert.match(e.message, /64/);
      assert.match(e.message, /W_enc/);
      return true;
    });
    // without config.json the graph builder catches it from the embedding table
    const noCfg = modelCopy('no-config', (d) => fs.rmSync(path.join(d, 'config.json')));
    await assert.rejects(Engine.open({ model: noCfg, sae, cacheDir }), /d_in=32.*width 64/);
  });

  test('an attn.hook_z SAE is checked against the width of the attention output projection, not the residual width', async () => {
    const sae = path.join(tmp, 'sae-z-48');
    writeSaeLensFolder(
      sae,
      saeLensCfg({ architecture: 'standard', dIn: 48, dSae: 64, hookName: 'blocks.1.attn.hook_z' }),
      syntheticSaeTensors({ architecture: 'standard', dIn: 48, dSae: 64 }),
    );
    await assert.rejects(
      Engine.open({ model: ref.modelDir, sae, cacheDir }),
      /d_in=48 .*does not match the model's width 64 at blocks\.1\.attn\.hook_z/,
    );
  });

  test('a hook the model does not have is named, with the hooks that exist', async () => {
    await assert.rejects(
      Engine.open({ model: ref.modelDir, sae: ref.saeDir, hook: 'blocks.7.hook_resid_mid', cacheDir }),
      /blocks\.7\.hook_resid_mid.*blocks\.0\.hook_resid_pre.*blocks\.3\.hook_resid_post/,
    );
  });

  test('a corrupt ONNX file is reported with its path', async () => {
    const bad = modelCopy('corrupt', (d) => fs.writeFileSync(path.join(d, 'model.onnx'), Buffer.from('this is not protobuf at all')));
    await assert.rejects(Engine.open({ model: bad, sae: ref.saeDir, cacheDir: path.join(tmp, 'c2') }), (e: Error) => {
      assert.match(e.message, /corrupt[/\\]model\.onnx/);
      return true;
    });
  });

  test('a merged decoder is refused and the plain decoder is suggested', async () => {
    const merged = modelCopy('merged', (d) => {
      fs.renameSync(path.join(d, 'model.onnx'), path.join(d, 'decoder_model_merged.onnx'));
      fs.writeFileSync(path.join(d, 'decoder_model.onnx'), 'x');
    });
    await assert.rejects(
      Engine.open({ model: path.join(merged, 'decoder_model_merged.onnx'), sae: ref.saeDir, cacheDir }),
      /merged decoders.*decoder_model\.onnx/,
    );
  });

  test('a folder without tokenizer.json says so', async () => {
    const noTok = modelCopy('no-tokenizer', (d) => fs.rmSync(path.join(d, 'tokenizer.json')));
    await assert.rejects(Engine.open({ model: noTok, sae: ref.saeDir, cacheDir }), /no-tokenizer.*tokenizer\.json/);
  });

  test('a feature id out of range is refused before anything runs', async () => {
    const engine = await Engine.open({ model: ref.modelDir, sae: ref.saeDir, cacheDir });
    try {
      await assert.rejects(
        engine.generate([1, 2, 3], { maxNewTokens: 2, interventions: [{ feature: 256, mode: 'clamp', value: 1 }] }),
        /feature 256 is out of range: this SAE has features 0–255/,
      );
      // the engine keeps working afterwards
      const out = await engine.generate([1, 2, 3], { maxNewTokens: 2 });
      assert.equal(out.ids.length, 2);
    } finally {
      await engine.close();
    }
  });
});
