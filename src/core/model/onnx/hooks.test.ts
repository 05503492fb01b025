import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { referenceCases } from '#testing/fixtures.ts';
import { GraphBuilder, valueInfo } from './builder.ts';
import { HookNotFoundError, MergedDecoderError, locateHook, locateHooks } from './hooks.ts';
import { DataType, readModel } from './proto.ts';

const [gpt2] = referenceCases();

describe('hook location', () => {
  test('finds pre/mid/post, attn_out, mlp_out and hook_z for every block of a torch-exported GPT-2, chained', () => {
    const { model } = readModel(`${gpt2!.modelDir}/model.onnx`);
    const all = locateHooks(model.graph!);
    assert.equal(all.length, 4 * 6);
    for (let L = 0; L < 4; L++) {
      const kinds = all.filter((s) => s.layer === L).map((s) => s.kind);
      assert.deepEqual(kinds.sort(), [
        'attn.hook_z',
        'hook_attn_out',
        'hook_mlp_out',
        'hook_resid_mid',
        'hook_resid_post',
        'hook_resid_pre',
      ]);
      const z = all.find((s) => s.name === `blocks.${L}.attn.hook_z`)!;
      assert.ok(z.projection && ['MatMul', 'Gemm'].includes(z.projection.opType ?? ''), 'hook_z names the output projection');
      assert.equal(z.projection.input?.[0], z.tensor, 'z is what the projection reads');
    }
    const sites = all.filter((s) => s.kind.startsWith('hook_resid'));
    assert.equal(sites.length, 4 * 3);
    for (let L = 0; L < 3; L++) {
      const post = sites.find((s) => s.name === `blocks.${L}.hook_resid_post`)!;
      const nextPre = sites.find((s) => s.name === `blocks.${L + 1}.hook_resid_pre`)!;
      assert.equal(post.tensor, nextPre.tensor, 'resid_post(L) is resid_pre(L+1)');
    }
    const names = sites.map((s) => s.tensor);
    assert.equal(new Set(names).size, 4 * 2 + 1, 'one tensor per residual point');
  });

  test('an unknown hook names itself and lists the hooks that exist', () => {
    const { model } = readModel(`${gpt2!.modelDir}/model.onnx`);
    assert.throws(
      () => locateHook(model.graph!, 'blocks.9.hook_resid_pre'),
      (e: unknown) =>
        e instanceof HookNotFoundError && /blocks\.9\.hook_resid_pre/.test(e.message) && /blocks\.3\.hook_resid_post/.test(e.message),
    );
    assert.throws(
      () => locateHook(model.graph!, 'blocks.1.hook_mlp_in'),
      /only blocks\.L\.hook_resid_pre\|mid\|post, hook_attn_out, hook_mlp_out and attn\.hook_z are supported; found the token embedding .*4 transformer blocks/,
    );
  });

  test('a graph without a residual stream reports that no hook can be located', () => {
    const b = new GraphBuilder('');
    b.node('Relu', ['input_ids'], ['logits']);
    const graph = {
      node: b.nodes,
      input: [valueInfo('input_ids', DataType.FLOAT, [1])],
      output: [valueInfo('logits', DataType.FLOAT, [1])],
    };
    assert.deepEqual(locateHooks(graph), []);
    assert.throws(() => locateHook(graph, 'blocks.0.hook_resid_pre'), /no token-embedding lookup.*none \(no residual stream found\)/);
  });

  test('merged decoders (If subgraphs) are refused with the file to use instead', () => {
    const b = new GraphBuilder('');
    b.node('If', ['use_cache_branch'], ['logits']);
    assert.throws(
      () => locateHooks({ node: b.nodes }),
      (e: unknown) => e instanceof MergedDecoderError && /decoder_model\.onnx/.test(e.message),
    );
  });
});
