import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { referenceCases } from '../../testing/fixtures.ts';
import { GraphBuilder, valueInfo } from './builder.ts';
import { HookNotFoundError, MergedDecoderError, locateHook, locateHooks } from './hooks.ts';
import { DataType, readModel } from './proto.ts';

const [gpt2] = referenceCases();

describe('hook location', () => {
  test('finds pre/mid/post for every block of a torch-exported GPT-2, chained', () => {
    const { model } = readModel(`${gpt2!.modelDir}/model.onnx`);
    const sites = locateHooks(model.graph!);
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
        e instanceof HookNotFoundError &&
        /blocks\.9\.hook_resid_pre/.test(e.message) &&
        /blocks\.3\.hook_resid_post/.test(e.message),
    );
    assert.throws(() => locateHook(model.graph!, 'blocks.1.attn.hook_z'), /only residual-stream hooks/);
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
    assert.throws(() => locateHook(graph, 'blocks.0.hook_resid_pre'), /no residual stream found/);
  });

  test('merged decoders (If subgraphs) are refused with the file to use instead', () => {
    const b = new GraphBuilder('');
    b.node('If', ['use_cache_branch'], ['logits']);
    assert.throws(() => locateHooks({ node: b.nodes }), (e: unknown) => e instanceof MergedDecoderError && /decoder_model\.onnx/.test(e.message));
  });
});
