import fs from 'node:fs';
import path from 'node:path';
import { onnx, type TensorProto } from '../../core/model/onnx/proto.ts';

/** Tensors smaller than this stay inline, as onnx.save_model's default size_threshold does. */
export const EXTERNAL_THRESHOLD = 1024;

/**
 * Moves the raw data of large initializers into one external-data file beside the model
 * (ONNX external data: data_location = EXTERNAL, external_data location / offset / length).
 * Large tensors start on 4 KiB boundaries so runtimes can map them; small ones on 64 bytes.
 */
export function moveToExternalData(initializers: TensorProto[], dir: string, fileName: string, threshold = EXTERNAL_THRESHOLD): number {
  const fd = fs.openSync(path.join(dir, fileName), 'w');
  let offset = 0;
  try {
    for (const t of initializers) {
      const raw = t.rawData;
      if (!raw || raw.byteLength < threshold) continue;
      const align = raw.byteLength >= 1 << 20 ? 4096 : 64;
      const start = Math.ceil(offset / align) * align;
      if (start > offset) fs.writeSync(fd, new Uint8Array(start - offset));
      fs.writeSync(fd, raw);
      offset = start + raw.byteLength;
      t.rawData = undefined;
      t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      t.externalData = [
        { key: 'location', value: fileName },
        { key: 'offset', value: String(start) },
        { key: 'length', value: String(raw.byteLength) },
      ];
    }
  } finally {
    fs.closeSync(fd);
  }
  return offset;
}
