import ort from 'onnxruntime-node';
import type { CaptureResult } from './capture-split.ts';
import { SaeIO } from './onnx/variants.ts';
import type { ModelRunner } from './runner.ts';
import { floatData } from './tensor-data.ts';

/**
 * One session call of a capture graph on equal-length rows: the top-`K` latents per token
 * (K already clamped to the SAE's d_sae), with the hook input and the reconstruction when
 * the graph outputs them. Run by the engine itself or by its capture thread (capture-thread.ts).
 */
export async function runCapture(
  runner: ModelRunner,
  rows: readonly (readonly number[])[],
  K: number,
  reconstruction: boolean,
): Promise<CaptureResult> {
  const { outputs } = await runner.forward({
    ids: rows,
    extra: { [SaeIO.topK]: new ort.Tensor('int64', BigInt64Array.from([BigInt(K)]), [1]) },
  });
  const idx = outputs[SaeIO.topIndices]!.data as BigInt64Array;
  return {
    batch: rows.length,
    length: rows[0]?.length ?? 0,
    // TopK-style SAEs return at most their k, whatever was asked
    k: Number(outputs[SaeIO.topValues]!.dims[2]),
    values: floatData(outputs[SaeIO.topValues]!),
    indices: Int32Array.from(idx, (v) => Number(v)),
    ...(reconstruction
      ? {
          hookInput: floatData(outputs[SaeIO.hookInput]!),
          reconstruction: floatData(outputs[SaeIO.reconstruction]!),
        }
      : {}),
  };
}
