/**
 * Reading a file line by line at the byte level with bounded memory: lines up to a limit come
 * whole, longer ones are handed over by their offset so that their reader takes only what it
 * needs (a 10 MB single-line document indexed to --max-tokens 2000 reads a few kilobytes).
 */
import fs from 'node:fs';

/** Positional reads from an open file. */
export interface ByteSource {
  /** Fills `into` from `position` on; resolves with the bytes read (0 at the end of the file). */
  read(position: number, into: Buffer): Promise<number>;
}

/** A line read whole (without its line break; a CR before the LF is dropped). */
export interface WholeLine {
  readonly long: false;
  /** Valid until the next line is asked for (the read block is reused). */
  readonly bytes: Uint8Array;
  readonly lineNo: number;
  /** File offset of the line's first byte. */
  readonly offset: number;
  /** File offset just past its line break. */
  readonly end: number;
}

/** A line longer than the limit (bytes, line break excluded): read it through `source` from `offset`, before asking for the next line. */
export interface LongLine {
  readonly long: true;
  readonly lineNo: number;
  readonly offset: number;
  readonly source: ByteSource;
}

/** Sizes of the line reader (tests make them small). */
export interface LineReaderOptions {
  /** Bytes per read (default 1 MiB). */
  readonly blockSize?: number;
  /** A line longer than this many bytes is handed over as a LongLine (default 1 MiB). */
  readonly longLine?: number;
  /** Byte offset of a line start to begin at (default 0), and that line's number (default 1). */
  readonly start?: number;
  readonly firstLine?: number;
}

const MiB = 1 << 20;

/** The lines of a file in order; the file stays open until the generator ends or is returned. */
export async function* fileLines(file: string, options: LineReaderOptions = {}): AsyncGenerator<WholeLine | LongLine> {
  const blockSize = options.blockSize ?? MiB;
  const longLine = options.longLine ?? MiB;
  const fh = await fs.promises.open(file, 'r');
  const source: ByteSource = { read: async (position, into) => (await fh.read(into, 0, into.length, position)).bytesRead };
  try {
    const block = Buffer.allocUnsafe(blockSize);
    let carry: Buffer = Buffer.alloc(0);
    let carryAt = options.start ?? 0; // file offset of carry[0]
    let pos = carryAt; // file offset of the next read
    let lineNo = (options.firstLine ?? 1) - 1;
    for (;;) {
      const n = await source.read(pos, block);
      pos += n;
      const data: Buffer = carry.length ? Buffer.concat([carry, block.subarray(0, n)]) : block.subarray(0, n);
      let start = 0;
      for (let nl = data.indexOf(0x0a, start); nl !== -1; nl = data.indexOf(0x0a, start)) {
        const end = nl > start && data[nl - 1] === 0x0d ? nl - 1 : nl;
        if (end - start > longLine) yield { long: true, lineNo: ++lineNo, offset: carryAt + start, source };
        else yield { long: false, bytes: data.subarray(start, end), lineNo: ++lineNo, offset: carryAt + start, end: carryAt + nl + 1 };
        start = nl + 1;
      }
      if (n === 0) {
        if (data.length - start > longLine) yield { long: true, lineNo: ++lineNo, offset: carryAt + start, source };
        else if (start < data.length) {
          const rest = data.subarray(start);
          yield { long: false, bytes: rest, lineNo: ++lineNo, offset: carryAt + start, end: carryAt + data.length };
        }
        return;
      }
      if (data.length - start > longLine) {
        yield { long: true, lineNo: ++lineNo, offset: carryAt + start, source };
        // skip to the end of the long line without keeping it
        carry = Buffer.alloc(0);
        for (;;) {
          const m = await source.read(pos, block);
          if (m === 0) return;
          const nl = block.subarray(0, m).indexOf(0x0a);
          pos += m;
          if (nl !== -1) {
            carry = Buffer.from(block.subarray(nl + 1, m));
            carryAt = pos - m + nl + 1;
            break;
          }
        }
        continue;
      }
      // keep the unfinished line (copied: `block` is reused)
      carry = Buffer.from(data.subarray(start));
      carryAt += start;
    }
  } finally {
    await fh.close();
  }
}
