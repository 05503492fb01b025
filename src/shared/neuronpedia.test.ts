import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatNeuronpediaId, neuronpediaFeatureUrl, parseNeuronpediaId } from './neuronpedia.ts';

test('Neuronpedia ids parse from MODEL/LAYER, format back, and link to a feature page', () => {
  const id = parseNeuronpediaId(' gemma-2-2b/20-gemmascope-res-16k__l0-71 ');
  assert.deepEqual(id, { modelId: 'gemma-2-2b', layer: '20-gemmascope-res-16k__l0-71' });
  assert.equal(formatNeuronpediaId(id!), 'gemma-2-2b/20-gemmascope-res-16k__l0-71');
  assert.deepEqual(parseNeuronpediaId('llama3.1-8b/19-resid-post-aa'), { modelId: 'llama3.1-8b', layer: '19-resid-post-aa' });
  for (const bad of ['gpt2-small', 'gpt2-small/', '/8-res-jb', 'a/b/c', 'gpt2 small/8', 'a/b?c'])
    assert.equal(parseNeuronpediaId(bad), null, bad);
  assert.equal(
    neuronpediaFeatureUrl({ modelId: 'gpt2-small', layer: '8-res-jb' }, 1234),
    'https://www.neuronpedia.org/gpt2-small/8-res-jb/1234',
  );
});
