/**
 * Test support: turns a float32 ONNX model into a float16 one the way fp16 exports look:
 * every float initializer and Constant in float16, Casts to float redirected to float16,
 * float graph inputs and outputs (logits, past/present) declared float16.
 */
import fs from 'node:fs';
import { floatToHalf } from '../../core/util/halffloat.ts';
import { DataType, encodeModel, readFloatTensor, readModel, toNumber, type TensorProto } from '../../core/model/onnx/proto.ts';

/** The largest finite float16. */
const HALF_MAX = 65504;

function toHalf(t: TensorProto, dir: string): void {
  if (t.dataType !== DataType.FLOAT) return;
  const f = readFloatTensor(t, dir);
  const h = new Uint16Array(f.length);
  // keep huge mask constants (float32 min) finite rather than -inf
  for (let i = 0; i < f.length; i++) h[i] = floatToHalf(Math.max(-HALF_MAX, Math.min(HALF_MAX, f[i]!)));
  t.dataType = DataType.FLOAT16;
  t.rawData = new Uint8Array(h.buffer);
  t.floatData = [];
  t.dataLocation = 0;
  t.externalData = [];
}

/** Writes the float16 version of `src` (inline weights) to `dst`. */
export function writeFp16Copy(src: string, dst: string): void {
  const { model, dir } = readModel(src);
  const g = model.graph!;
  for (const t of g.initializer ?? []) toHalf(t, dir);
  for (const n of g.node ?? []) {
    for (const a of n.attribute ?? []) {
      if (a.t) toHalf(a.t, dir);
      if (n.opType === 'Cast' && a.name === 'to' && toNumber(a.i) === DataType.FLOAT) a.i = DataType.FLOAT16;
    }
  }
  for (const v of [...(g.input ?? []), ...(g.output ?? [])]) {
    const tt = v.type?.tensorType;
    if (tt?.elemType === DataType.FLOAT) tt.elemType = DataType.FLOAT16;
  }
  g.valueInfo = [];
  fs.writeFileSync(dst, encodeModel(model));
}
