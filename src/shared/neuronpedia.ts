/**
 * Neuronpedia's names for an SAE and its features, as its own database keys them
 * (hijohnnylin/neuronpedia, prisma `Neuron` / `Explanation`: `modelId`, `layer`, `index`):
 * `modelId` is the model (e.g. `gpt2-small`), `layer` the source, i.e. the SAE (e.g.
 * `8-res-jb`), and `index` the feature number as a string. SAELens writes both as one
 * `neuronpedia_id` (`gpt2-small/8-res-jb`). Pure.
 */

/** Where feature pages live. */
export const NEURONPEDIA_URL = 'https://www.neuronpedia.org';

/** An SAE's Neuronpedia ids. */
export interface NeuronpediaId {
  /** Neuronpedia's model id, e.g. `gpt2-small`. */
  readonly modelId: string;
  /** Neuronpedia's source (SAE) id, which its API and exports call `layer`, e.g. `8-res-jb`. */
  readonly layer: string;
}

/** `MODEL/LAYER` with each part letters, digits, `_`, `.` or `-` (as SAELens's `neuronpedia_id`). */
export const NEURONPEDIA_ID_PATTERN = /^([\w.-]+)\/([\w.-]+)$/;

/** Parses `MODEL/LAYER` (e.g. `gpt2-small/8-res-jb`); null when it is not of that form. */
export function parseNeuronpediaId(text: string): NeuronpediaId | null {
  const m = NEURONPEDIA_ID_PATTERN.exec(text.trim());
  return m ? { modelId: m[1]!, layer: m[2]! } : null;
}

/** `MODEL/LAYER`. */
export function formatNeuronpediaId(id: NeuronpediaId): string {
  return `${id.modelId}/${id.layer}`;
}

/** The page of one feature on Neuronpedia: `https://www.neuronpedia.org/<modelId>/<layer>/<index>`. */
export function neuronpediaFeatureUrl(id: NeuronpediaId, index: number): string {
  return `${NEURONPEDIA_URL}/${encodeURIComponent(id.modelId)}/${encodeURIComponent(id.layer)}/${index}`;
}
