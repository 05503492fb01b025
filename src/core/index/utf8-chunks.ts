/** UTF-8 text read in pieces: cutting between characters, and a text file read block by block. */
import fs from 'node:fs';
import { decodeUtf8, type InvalidUtf8 } from './utf8.ts';

/** The end of the last whole UTF-8 character in buf[from, to): `to`, or the start of an unfinished sequence at its end. */
export function utf8Boundary(buf: Uint8Array, from: number, to: number): number {
  for (let k = to - 1; k >= from && k >= to - 4; k--) {
    const b = buf[k]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    if (b < 0x80) return to;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    return k + need > to ? k : to;
  }
  return to;
}

/**
 * A text file's content in decoded pieces of about `blockSize` bytes (a leading BOM dropped),
 * read as the pieces are asked for; the file is closed when the generator ends or is returned.
 * Invalid UTF-8 follows `policy`, an error naming the file and the byte offset.
 */
export async function* textFileChunks(file: string, policy: InvalidUtf8, blockSize = 1 << 16): AsyncGenerator<string, void> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(blockSize + 4);
    let kept = 0; // unfinished UTF-8 sequence carried at buf[0]
    let at = 0; // file offset of buf[0]
    let first = true;
    for (;;) {
      const { bytesRead } = await fh.read(buf, kept, blockSize, at + kept);
      let total = kept + bytesRead;
      let start = 0;
      if (first) {
        first = false;
        if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf && total >= 3) start = 3;
      }
      if (bytesRead === 0) {
        if (total > start) yield decodeUtf8(buf.subarray(start, total), policy, file, at + start);
        return;
      }
      const cut = utf8Boundary(buf, start, total);
      if (cut > start) yield decodeUtf8(buf.subarray(start, cut), policy, file, at + start);
      buf.copy(buf, 0, cut, total);
      total -= cut;
      at += cut;
      kept = total;
    }
  } finally {
    await fh.close();
  }
}
