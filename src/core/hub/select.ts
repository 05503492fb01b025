/**
 * Which files of a repo a pull needs: for an SAE, the one folder's cfg + weights; for a
 * model, config + tokenizer files and one ONNX file with its external data. Works on a
 * listing (the hub's tree, or a snapshot folder on disk), so online and offline pulls
 * choose the same files.
 */
import { AppError } from '#shared/reply.ts';
import type { HubKind } from '#shared/hub-types.ts';

/** A file in a listing: its path inside the repo. */
export interface ListedFile {
  readonly path: string;
  readonly size: number | null;
}

/** What a pull fetches. */
export interface Selection {
  readonly kind: HubKind;
  /** Paths inside the repo. */
  readonly files: readonly string[];
  /** The folder (or, for a chosen ONNX file, the file) to open, inside the repo ('' = root). */
  readonly open: string;
  /** Models: the chosen ONNX file (its external data may be found only once it is read). */
  readonly onnx?: string;
}

/** The SAE layouts, in the order loadSae tries them. */
const SAE_LAYOUTS: readonly (readonly string[])[] = [
  ['cfg.json', 'sae_weights.safetensors'], // SAELens (and switch SAEs)
  ['cfg.json', 'sae.safetensors'], // EleutherAI sparsify
  ['params.npz'], // Gemma Scope
];
const SAE_FILES = new Set(SAE_LAYOUTS.flat());
const LOOKED_FOR = 'cfg.json + sae_weights.safetensors (SAELens), cfg.json + sae.safetensors (sparsify) or params.npz (Gemma Scope)';

/** Config and tokenizer files fetched beside a model's ONNX file, when the repo has them. */
const MODEL_SIDE_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

const dirname = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
const join = (a: string, b: string): string => (a ? `${a}/${b}` : b);
/** `p` relative to `base`, or null when it is not inside it. */
const inside = (p: string, base: string): string | null => (base === '' ? p : p.startsWith(`${base}/`) ? p.slice(base.length + 1) : null);

/** The SAE files directly in `dir`, or null when `dir` holds no SAE. */
function saeFilesIn(names: ReadonlySet<string>, dir: string): string[] | null {
  for (const layout of SAE_LAYOUTS) if (layout.every((f) => names.has(join(dir, f)))) return layout.map((f) => join(dir, f));
  return null;
}

/** Folders (at any depth under base) that hold an SAE, sorted. */
function saeFolders(files: readonly ListedFile[], base: string): string[] {
  const names = new Set(files.map((f) => f.path));
  const dirs = new Set(files.filter((f) => inside(f.path, base) !== null && SAE_FILES.has(basename(f.path))).map((f) => dirname(f.path)));
  return [...dirs].filter((d) => saeFilesIn(names, d)).sort();
}

/** What `base` looks like: a model (ONNX files), an SAE, or neither (null). */
export function detectKind(files: readonly ListedFile[], base: string): HubKind | null {
  if (base.endsWith('.onnx')) return 'model';
  if (SAE_FILES.has(basename(base))) return 'sae';
  const names = new Set(files.map((f) => f.path));
  if (saeFilesIn(names, base)) return 'sae';
  if (files.some((f) => inside(f.path, base) !== null && f.path.endsWith('.onnx'))) return 'model';
  if (saeFolders(files, base).length) return 'sae';
  return null;
}

/** The files of the SAE at `base` (its folder, a file in it, or a folder with a single SAE below it). */
export function selectSae(files: readonly ListedFile[], base: string, where: string): Selection {
  const names = new Set(files.map((f) => f.path));
  const dir = SAE_FILES.has(basename(base)) && names.has(base) ? dirname(base) : base;
  const direct = saeFilesIn(names, dir);
  if (direct) return { kind: 'sae', files: direct, open: dir };
  const found = saeFolders(files, dir);
  if (found.length === 1 && found[0] !== undefined) return { kind: 'sae', files: saeFilesIn(names, found[0]) ?? [], open: found[0] };
  if (found.length === 0) throw new AppError('not_found', `no SAE at ${where}: looked for ${LOOKED_FOR}`);
  const shown = found.slice(0, 12).map((d) => inside(d, dir) ?? d);
  throw new AppError(
    'bad_request',
    `${where} holds ${found.length} SAEs; name one as REPO:PATH, e.g. ${shown.slice(0, 3).join(', ')}${found.length > 3 ? ` (others: ${shown.slice(3).join(', ')}${found.length > 12 ? ', …' : ''})` : ''}`,
  );
}

const MERGED = /merged/i;

/** The same preference as the engine's pickOnnxFile: model.onnx first, quantised variants last, merged decoders never. */
function onnxRank(file: string): number {
  const b = basename(file);
  if (/^(decoder_)?model\.onnx$/.test(b)) return 0;
  if (/with_past/.test(b)) return 1;
  if (/fp16/.test(b)) return 2;
  if (/(q4|int8|uint8|quant|bnb4)/.test(b)) return 4;
  return 3;
}

/** External-data files that go with an ONNX file by name (`model.onnx_data`, `model.onnx.data`, `model.onnx_data_1`, …). */
export function externalDataByName(files: readonly ListedFile[], onnx: string): string[] {
  const dir = dirname(onnx);
  const b = basename(onnx);
  const stem = b.replace(/\.onnx$/, '');
  return files
    .map((f) => f.path)
    .filter((p) => dirname(p) === dir && p !== onnx)
    .filter((p) => {
      const n = basename(p);
      return n.startsWith(`${b}_data`) || n.startsWith(`${b}.data`) || n === `${stem}.data` || n === `${stem}.onnx_data`;
    })
    .sort();
}

/** The files of the ONNX model at `base` (a folder, or an .onnx file in it); `onnxFile` picks the ONNX file. */
export function selectModel(files: readonly ListedFile[], base: string, where: string, onnxFile?: string): Selection {
  const names = new Set(files.map((f) => f.path));
  let root = base;
  let chosen: string | undefined;
  if (onnxFile) {
    if (!names.has(onnxFile)) throw new AppError('not_found', `"${onnxFile}" not found in ${where}`);
    chosen = onnxFile;
  } else if (base.endsWith('.onnx') && names.has(base)) {
    chosen = base;
    root = dirname(base);
    if (basename(root) === 'onnx') root = dirname(root);
  } else {
    chosen = [join(base, 'model.onnx'), join(base, 'onnx/model.onnx')].find((f) => names.has(f));
    if (!chosen) {
      const pool = files
        .map((f) => f.path)
        .filter((p) => p.endsWith('.onnx') && (dirname(p) === base || dirname(p) === join(base, 'onnx')));
      if (!pool.length)
        throw new AppError('not_found', `no ONNX model in ${where} (looked for model.onnx, onnx/model.onnx, onnx/model*.onnx)`);
      const plain = pool.filter((p) => !MERGED.test(basename(p))).sort((a, b) => onnxRank(a) - onnxRank(b) || a.localeCompare(b));
      chosen = plain[0];
      if (!chosen) {
        throw new AppError(
          'bad_request',
          `${where} has only merged decoders (${pool.map(basename).join(', ')}), which the engine cannot run; export decoder_model.onnx or model.onnx`,
        );
      }
    }
  }
  if (MERGED.test(basename(chosen))) {
    throw new AppError(
      'bad_request',
      `"${chosen}" is a merged decoder (If subgraphs), which the engine cannot run; choose decoder_model.onnx or model.onnx`,
    );
  }
  // config and tokenizer sit at the repo (or model folder) root, or beside the ONNX file
  const side = MODEL_SIDE_FILES.map((f) => [join(root, f), join(dirname(chosen), f)].find((p) => names.has(p))).filter(
    (p): p is string => !!p,
  );
  if (!side.some((p) => basename(p) === 'tokenizer.json')) {
    throw new AppError('not_found', `no tokenizer.json in ${where}; the engine needs it beside the model`);
  }
  const files_ = [...new Set([...side, chosen, ...externalDataByName(files, chosen)])];
  const open = onnxFile || base.endsWith('.onnx') ? chosen : root;
  return { kind: 'model', files: files_, open, onnx: chosen };
}

/** Picks the files for `kind` (or for what `base` looks like), naming `where` in errors. */
export function selectFiles(files: readonly ListedFile[], base: string, where: string, kind?: HubKind, onnxFile?: string): Selection {
  const k = kind ?? (onnxFile ? 'model' : detectKind(files, base));
  if (!k) {
    throw new AppError(
      'not_found',
      `${where} holds neither an ONNX model nor an SAE (looked for *.onnx, ${LOOKED_FOR}); check the path, or pass the kind`,
    );
  }
  return k === 'sae' ? selectSae(files, base, where) : selectModel(files, base, where, onnxFile);
}
