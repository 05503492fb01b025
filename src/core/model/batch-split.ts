import ort from 'onnxruntime-node';

type Data = ort.Tensor['data'] & { subarray(begin: number, end: number): ort.Tensor['data'] };

/** Row `b` of a tensor whose axis 0 is the batch, as a tensor of batch 1 (sharing its data). */
export function sliceBatch(t: ort.Tensor, b: number): ort.Tensor {
  const B = t.dims[0] ?? 1;
  const per = t.size / B;
  const data = t.data as Data;
  return new ort.Tensor(t.type, data.subarray(b * per, (b + 1) * per), [1, ...t.dims.slice(1)]);
}

/** Tensors of batch 1 (same type and trailing dims) stacked along axis 0. */
export function concatBatch(parts: readonly ort.Tensor[]): ort.Tensor {
  const first = parts[0];
  if (!first) throw new Error('nothing to concatenate');
  for (const p of parts)
    if (
      p.type !== first.type ||
      p.dims.length !== first.dims.length ||
      p.dims.some((d, i) => i > 0 && d !== first.dims[i]) ||
      p.dims[0] !== 1
    )
      throw new Error(`cannot stack ${p.type} [${p.dims.join(', ')}] on ${first.type} [${first.dims.join(', ')}] along the batch axis`);
  const ctor = (first.data as Data).constructor as new (n: number) => Data & { set(a: ArrayLike<unknown>, offset: number): void };
  const out = new ctor(first.size * parts.length);
  parts.forEach((p, i) => out.set(p.data as ArrayLike<unknown>, i * first.size));
  return new ort.Tensor(first.type, out as ort.Tensor['data'], [parts.length, ...first.dims.slice(1)]);
}
