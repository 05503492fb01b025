import fs from 'node:fs';
import path from 'node:path';
import { ModelFileError } from './onnx/proto.ts';

/** A model folder laid out as HuggingFace repos are. */
export interface ModelFolder {
  readonly dir: string;
  /** The ONNX file chosen. */
  readonly onnxFile: string;
  /** HF config.json (empty object when absent). */
  readonly config: Record<string, unknown>;
  readonly tokenizerJson: Record<string, unknown>;
  readonly tokenizerConfig: Record<string, unknown>;
}

const MERGED = /merged/i;

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ModelFileError(file, `cannot parse JSON (${(e as Error).message})`);
  }
}

/**
 * Picks the ONNX file of a model folder: `model.onnx`, else `onnx/model.onnx`, else the
 * single plain `onnx/model*.onnx` (fp32 preferred over quantised variants). A file may be
 * given directly. Merged decoders are refused with a pointer to the file to use.
 */
export function pickOnnxFile(dirOrFile: string): string {
  if (fs.existsSync(dirOrFile) && fs.statSync(dirOrFile).isFile()) return refuseMerged(dirOrFile, path.dirname(dirOrFile));
  const candidates = [path.join(dirOrFile, 'model.onnx'), path.join(dirOrFile, 'onnx', 'model.onnx')];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  const onnxDir = path.join(dirOrFile, 'onnx');
  const pool = [
    ...(fs.existsSync(onnxDir) ? fs.readdirSync(onnxDir).map((f) => path.join(onnxDir, f)) : []),
    ...(fs.existsSync(dirOrFile) ? fs.readdirSync(dirOrFile).map((f) => path.join(dirOrFile, f)) : []),
  ].filter((f) => f.endsWith('.onnx'));
  if (!pool.length) {
    throw new ModelFileError(dirOrFile, 'no ONNX model found (looked for model.onnx, onnx/model.onnx, onnx/model*.onnx)');
  }
  const plain = pool.filter((f) => !MERGED.test(path.basename(f)));
  const rank = (f: string): number => {
    const b = path.basename(f);
    if (/^(decoder_)?model\.onnx$/.test(b)) return 0;
    if (/with_past/.test(b)) return 1;
    if (/fp16/.test(b)) return 2;
    if (/(q4|int8|uint8|quant|bnb4)/.test(b)) return 4;
    return 3;
  };
  const best = plain.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))[0];
  if (!best) return refuseMerged(pool[0]!, dirOrFile);
  return best;
}

function refuseMerged(file: string, dir: string): string {
  if (MERGED.test(path.basename(file))) {
    const alt = ['decoder_model.onnx', 'decoder_with_past_model.onnx', 'model.onnx']
      .map((f) => path.join(path.dirname(file), f))
      .find((f) => fs.existsSync(f));
    throw new ModelFileError(
      file,
      `merged decoders (If subgraphs) are not supported; use ${alt ? path.relative(dir, alt) || alt : 'decoder_model.onnx or decoder_with_past_model.onnx from the same export'} instead`,
    );
  }
  return file;
}

/** Reads a model folder's ONNX path, config and tokenizer files. */
export function openModelFolder(dirOrFile: string): ModelFolder {
  if (!fs.existsSync(dirOrFile)) throw new ModelFileError(dirOrFile, 'no such file or folder');
  const onnxFile = pickOnnxFile(dirOrFile);
  const dir = fs.statSync(dirOrFile).isFile() ? path.dirname(dirOrFile) : dirOrFile;
  // tokenizer/config sit at the repo root even when the model lives in onnx/
  const find = (name: string): string | undefined =>
    [path.join(dir, name), path.join(path.dirname(onnxFile), name), path.join(dir, '..', name)].find((f) => fs.existsSync(f));
  const cfgFile = find('config.json');
  const tokFile = find('tokenizer.json');
  if (!tokFile) throw new ModelFileError(dir, 'no tokenizer.json beside the model');
  const tokCfgFile = find('tokenizer_config.json');
  return {
    dir,
    onnxFile,
    config: cfgFile ? readJson(cfgFile) : {},
    tokenizerJson: readJson(tokFile),
    tokenizerConfig: tokCfgFile ? readJson(tokCfgFile) : {},
  };
}
