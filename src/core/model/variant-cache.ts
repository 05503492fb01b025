import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Sae } from '../sae/types.ts';
import { encodeModel, externalFiles, readModel } from './onnx/proto.ts';
import { buildVariant, type VariantOptions } from './onnx/variants.ts';
import { linkIfMissing, publishContentAddressed, writeFileAtomic } from '../util/atomic-write.ts';

/** Bump when the graph builder changes what it emits, so cached variants are rebuilt. */
export const BUILDER_VERSION = 5;

const memo = new Map<string, string>();

/**
 * SHA-256 of a file's bytes, remembered per (path, size, mtime) in memory and in
 * `<cacheDir>/file-hashes.json`, so a multi-GB model is hashed once, not per start.
 */
export function hashFile(file: string, cacheDir?: string): string {
  const st = fs.statSync(file);
  const key = `${path.resolve(file)}|${st.size}|${st.mtimeMs}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const memoFile = cacheDir ? path.join(cacheDir, 'file-hashes.json') : undefined;
  let disk: Record<string, string> = {};
  if (memoFile && fs.existsSync(memoFile)) {
    try {
      disk = JSON.parse(fs.readFileSync(memoFile, 'utf8')) as Record<string, string>;
    } catch {
      disk = {};
    }
    if (disk[key]) {
      memo.set(key, disk[key]);
      return disk[key];
    }
  }
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  const digest = h.digest('hex');
  memo.set(key, digest);
  if (memoFile) {
    disk[key] = digest;
    // whole or not at all: another thread or process may read it meanwhile
    writeFileAtomic(memoFile, JSON.stringify(disk));
  }
  return digest;
}

/** The cache key of a variant: content hashes of every input plus the builder version. */
export function variantKey(onnxFile: string, sae: Sae, opts: VariantOptions, cacheDir: string): string {
  const extras = externalDataCandidates(onnxFile).map((f) => hashFile(f, cacheDir));
  const h = crypto.createHash('sha256');
  h.update(
    JSON.stringify({
      v: BUILDER_VERSION,
      model: hashFile(onnxFile, cacheDir),
      extras,
      sae: hashFile(sae.source.weightsFile, cacheDir),
      saeConfig: sae.config,
      opts,
    }),
  );
  return h.digest('hex').slice(0, 32);
}

/**
 * Files beside the model that may hold its external data (`*.onnx_data`, `*.onnx.data`,
 * `*.data`), found without decoding the model so computing a key stays cheap.
 */
function externalDataCandidates(onnxFile: string): string[] {
  const dir = path.dirname(onnxFile);
  return fs
    .readdirSync(dir)
    .filter((f) => /(\.onnx_data|\.onnx\.data|\.data)$/.test(f) || f.startsWith(`${path.basename(onnxFile)}_data`))
    .sort()
    .map((f) => path.join(dir, f));
}

/**
 * Returns the path of the variant's ONNX file, building and caching it when missing.
 * External data files of the original model are linked beside the variant, so ORT finds
 * them at the same relative locations.
 */
export function variantFile(onnxFile: string, sae: Sae, opts: VariantOptions, cacheDir: string): { file: string; built: boolean } {
  const key = variantKey(onnxFile, sae, opts, cacheDir);
  const dir = path.join(cacheDir, 'variants', key);
  const file = path.join(dir, 'model.onnx');
  if (fs.existsSync(file)) return { file, built: false };
  const { model } = readModel(onnxFile);
  buildVariant(model, sae, opts);
  fs.mkdirSync(dir, { recursive: true });
  for (const rel of externalFiles(model)) {
    // the real file: in the HF cache the snapshot entry is a relative symlink, and a hard link
    // to it (Linux links the symlink itself) would dangle from here
    const src = fs.realpathSync(path.resolve(path.dirname(onnxFile), rel));
    linkIfMissing(src, path.join(dir, rel));
  }
  // Content-addressed (the key hashes every input): a temp file of this writer's own, renamed
  // into place, so a crash never leaves a half-written variant, and two builders at once (two
  // evaluations in worker threads, two processes) both succeed with the same file.
  const built = publishContentAddressed(file, (tmp) => fs.writeFileSync(tmp, encodeModel(model)));
  return { file, built };
}
