/**
 * Payloads and results of the requests about: HuggingFace Hub downloads and the SAE catalog (`hub.*`).
 * Pure: zod and types only. contract.ts merges `hubRequests` into the contract.
 */
import { z } from 'zod';
import type { JobInfo, JobState } from './job-types.ts';
import type { FileRootKind } from './file-types.ts';
import { empty, request, type RequestDef } from './request-def.ts';

/** What a pull fetches: an SAE folder, or an ONNX model repo (config, tokenizer, one ONNX file and its data). */
export type HubKind = 'sae' | 'model';

/** Every kind, for schemas. */
export const hubKinds = ['sae', 'model'] as const satisfies readonly HubKind[];

/** A repo id as the hub spells it: `name` or `org/name` (letters, digits, `-`, `_`, `.`). */
export const repoIdPattern = /^(?:[A-Za-z0-9][\w.-]*\/)?[A-Za-z0-9][\w.-]*$/;

const repoId = z
  .string()
  .min(1)
  .max(200)
  .regex(repoIdPattern, 'a repo id is "org/name" (letters, digits, "-", "_", ".")')
  .refine((s) => !s.includes('..') && !s.includes('--'), 'a repo id may not contain ".." or "--"');

/** A path inside a repo: `/`-separated, no `..`, no leading `/`. */
const repoPath = z
  .string()
  .max(1000)
  .refine(
    (s) => !s.split('/').some((p) => p === '..' || p === '.') && !s.startsWith('/') && !s.includes('\\'),
    'a path inside a repo uses "/" and has no ".." parts',
  );

const revision = z
  .string()
  .min(1)
  .max(200)
  .refine((s) => !s.split('/').some((p) => p === '..' || p === '') && !s.includes('\\'), 'not a valid revision');

/** Payload of `hub.pull`. */
export const hubPullPayload = z
  .object({
    /** `org/name`. */
    repo: repoId,
    /** A folder or file inside the repo (default: the root). */
    path: repoPath.optional(),
    /** Branch, tag or commit (default `main`). */
    revision: revision.optional(),
    /** What to fetch; default: guessed from the repo's files at `path`. */
    kind: z.enum(hubKinds).optional(),
    /** Models: the ONNX file to fetch (path inside the repo); default: chosen as the engine would. */
    onnxFile: repoPath.optional(),
    /** Hash files that are already cached too (else only their size is checked). */
    verify: z.boolean().optional(),
  })
  .strict();

/** One file of a pull and where it stands. */
export interface HubPullFile {
  /** Path inside the repo. */
  readonly path: string;
  /** Bytes, when known. */
  readonly size: number | null;
  /** Bytes on disk so far (resumed bytes included). */
  readonly done: number;
  /** `cached`: found in the HF cache, not downloaded. */
  readonly state: 'pending' | 'downloading' | 'verifying' | 'done' | 'cached' | 'failed';
  /** Stored with git LFS (checked against its SHA-256). */
  readonly lfs: boolean;
  /** Bytes that an earlier, interrupted download had left (fetched with a Range request). */
  readonly resumedFrom?: number;
}

/** What a finished pull produced. */
export interface HubPullResult {
  readonly repo: string;
  readonly revision: string;
  /** The commit the revision resolved to. */
  readonly commit: string;
  readonly kind: HubKind;
  /** The local folder to open: the SAE folder or the model folder inside the snapshot. */
  readonly path: string;
  /** The snapshot folder (`<cache>/models--org--name/snapshots/<commit>`). */
  readonly snapshot: string;
  /** The files fetched or found, as paths inside the repo. */
  readonly files: readonly string[];
  /** Their total size. */
  readonly bytes: number;
  /** Bytes transferred by this pull (0 on a cache hit). */
  readonly downloaded: number;
  /** How many files came from the cache. */
  readonly cachedFiles: number;
  /** True when the hub could not be reached and the cache answered alone. */
  readonly offline: boolean;
}

/** A pull (download job) of this process, as the Models screen lists it. */
export interface HubPull {
  readonly job: string;
  readonly repo: string;
  readonly path: string;
  readonly revision: string;
  /** Null until known (guessed from the files when not given). */
  readonly kind: HubKind | null;
  readonly state: JobState;
  readonly commit: string | null;
  readonly files: readonly HubPullFile[];
  /** Bytes to transfer in this run, and transferred so far (cached files and resumed bytes excluded). */
  readonly total: number;
  readonly done: number;
  readonly result: HubPullResult | null;
  readonly error: string | null;
  /** Epoch milliseconds. */
  readonly startedAt: number;
}

/** An SAE of a release that its entry's `path` × `layers` × `widths` do not produce. */
export interface CatalogSae {
  /** Path inside the repo; may hold an `{l0}` placeholder. */
  readonly path: string;
  /** Its TransformerLens hook, e.g. `blocks.11.hook_resid_post` or `hook_embed`. */
  readonly hook: string;
}

/** A value of SAELens's `model_from_pretrained_kwargs`. */
export type ModelKwargValue = boolean | number | string;

/**
 * One released family of SAEs, by the name SAELens gives it. Its facts (repo, paths, hooks,
 * model, overrides, Neuronpedia ids) are SAELens's `pretrained_saes.yaml`; a test checks them
 * against test/fixtures/saelens-catalog-facts.json.
 */
export interface CatalogEntry {
  /** SAELens release name, e.g. `gpt2-small-res-jb`. */
  readonly name: string;
  /** The HF repo holding the SAEs. */
  readonly repo: string;
  /** Path of one SAE inside the repo, with `{layer}`, `{width}`, `{l0}` placeholders. */
  readonly path: string;
  /** The model the SAEs were trained on (TransformerLens name). */
  readonly model: string;
  /** An HF repo with an ONNX export of that model, when one is known. */
  readonly modelRepo?: string;
  /** The hook, with a `{layer}` placeholder. */
  readonly hook: string;
  /** Layers with an SAE. */
  readonly layers: readonly number[];
  /** Width choices for `{width}` (e.g. `16k`); absent when the width is fixed. */
  readonly widths?: readonly string[];
  /** Latents per SAE, when fixed. */
  readonly dSae?: number;
  /** Residual width of the model. */
  readonly dIn: number;
  readonly architecture: string;
  /** Weight format: `saelens`, `gemma-scope` or `sparsify`. */
  readonly format: string;
  /** When `{l0}` is in the path: how to choose it. */
  readonly l0Hint?: string;
  /**
   * How the model must be loaded for these SAEs: SAELens's `model_from_pretrained_kwargs`
   * (e.g. `center_writing_weights: true`), for every SAE of the release.
   */
  readonly modelFromPretrainedKwargs?: Readonly<Record<string, ModelKwargValue>>;
  /** SAELens's `normalize_activations` override, when the release sets one. */
  readonly normalizeActivations?: string;
  /** Neuronpedia ids (`model/source`) by path inside the repo, for the SAEs SAELens gives one. */
  readonly neuronpediaIds?: Readonly<Record<string, string>>;
  /** The release's SAEs that `path` × `layers` × `widths` do not produce (other hooks, widths only some layers have). */
  readonly otherSaes?: readonly CatalogSae[];
  readonly description: string;
}

/** Values for a catalog entry's placeholders. */
export interface CatalogChoice {
  readonly layer: number;
  readonly width?: string;
  readonly l0?: string;
}

/**
 * Fills a catalog path or hook pattern (`{layer}`, `{width}`, `{l0}`); throws naming the
 * placeholder that is missing or not offered.
 */
export function fillCatalogPattern(entry: CatalogEntry, pattern: string, choice: CatalogChoice): string {
  if (pattern.includes('{layer}') && !entry.layers.includes(choice.layer)) {
    throw new Error(`${entry.name} has no SAE at layer ${choice.layer} (layers: ${entry.layers.join(', ')})`);
  }
  if (pattern.includes('{width}') && (!choice.width || !entry.widths?.includes(choice.width))) {
    throw new Error(`${entry.name}: choose a width from ${entry.widths?.join(', ') ?? 'none'}`);
  }
  if (pattern.includes('{l0}') && !choice.l0) throw new Error(`${entry.name}: choose an average L0 (${entry.l0Hint ?? 'see the repo'})`);
  return pattern
    .replaceAll('{layer}', String(choice.layer))
    .replaceAll('{width}', choice.width ?? '')
    .replaceAll('{l0}', choice.l0 ?? '');
}

/** Payload of `hub.catalog`. */
export const hubCatalogPayload = z
  .object({
    /** Words that must all appear in a release's name, repo, model, hook, format or description (case-insensitive). */
    query: z.string().max(200).optional(),
  })
  .strict();

/** Payload of `hub.tree`. */
export const hubTreePayload = z.object({ repo: repoId, path: repoPath.optional(), revision: revision.optional() }).strict();

/** One entry of a repo folder. */
export interface HubTreeEntry {
  /** Path inside the repo. */
  readonly path: string;
  readonly type: 'file' | 'directory';
  /** Bytes (files). */
  readonly size: number | null;
}

/** A model or SAE folder found in the HF cache. */
export interface HubCachedItem {
  readonly repo: string;
  readonly kind: HubKind;
  readonly commit: string;
  /** Branches and tags that point at this commit (`refs/`). */
  readonly refs: readonly string[];
  /** The local folder to open. */
  readonly path: string;
  /** The folder's path inside the repo ('' for the root). */
  readonly label: string;
  readonly files: number;
  readonly bytes: number;
}

/** Where downloads go and come from, and whether a token is set (never the token itself). */
export interface HubSettings {
  /** `HF_ENDPOINT`, else https://huggingface.co. */
  readonly endpoint: string;
  /** The HF hub cache folder shared with Python's huggingface_hub. */
  readonly cacheDir: string;
  /** The variable it came from (`HF_HUB_CACHE`, `HF_HOME`, ...), or `default`. */
  readonly cacheDirSource: string;
  /** `HF_HUB_OFFLINE` is set: only the cache is used. */
  readonly offline: boolean;
  readonly token: {
    readonly present: boolean;
    /** `env` (HF_TOKEN), `settings` (saved here), `file` (the HF token file), or null. */
    readonly source: 'env' | 'settings' | 'file' | null;
    /** The token file looked at. */
    readonly file: string;
  };
}

/** Payload of `hub.setToken`. */
export const hubSetTokenPayload = z
  .object({
    /** The token to save in the app's data folder (mode 0600), or null to forget it. */
    token: z.string().trim().min(1).max(400).regex(/^\S+$/, 'a token has no spaces').nullable(),
  })
  .strict();

/** Payload of `hub.browse`. */
export const hubBrowsePayload = z
  .object({
    /** An absolute local folder inside an allowed root; default: the list of allowed roots. */
    dir: z.string().min(1).max(4096).optional(),
  })
  .strict();

/** A local folder's listing, for the folder picker. */
export interface LocalFolder {
  /** The folder listed; null for the list of allowed roots (data folder, HF cache, demo, granted folders). */
  readonly dir: string | null;
  /** The folder above when the API may reach it; null at an allowed root (back to the roots) and for the roots. */
  readonly parent: string | null;
  readonly entries: readonly {
    readonly name: string;
    readonly path: string;
    readonly dir: boolean;
    /** What the entry looks like: a model folder or file, an SAE folder or file, or neither. */
    readonly kind: HubKind | null;
    /** Why a folder laid out like an SAE is not one (e.g. its cfg.json does not read). */
    readonly problem?: string;
    /** In the list of roots: where the root comes from. */
    readonly root?: FileRootKind;
  }[];
  /** True where this host grants more folders through a native dialog (`files.pick`, the desktop app). */
  readonly canPick: boolean;
}

/** What `hub.pull` answers: the download job as it is now (watch `job.progress`, then `hub.pulls`). */
export interface HubPullStarted {
  readonly job: JobInfo;
}

/** Every request of this area, by name; each entry with JSDoc (see contract.ts). */
export const hubRequests = {
  /** Known SAE releases (SAELens names: repo, path pattern, model, hook, widths), filtered by the query's words. */
  'hub.catalog': request<CatalogEntry[]>()(hubCatalogPayload),

  /** The entries of one folder of a hub repo (not recursive), e.g. to pick a Gemma Scope `average_l0_N`. */
  'hub.tree': request<HubTreeEntry[]>()(hubTreePayload),

  /**
   * Starts downloading the files of an SAE folder or an ONNX model repo into the HF cache,
   * as a `download` job (`job.progress` in bytes; cancel with `jobs.cancel`, pull again to
   * resume). Files already cached are not fetched again. The result shows in `hub.pulls`.
   */
  'hub.pull': request<HubPullStarted>()(hubPullPayload),

  /** The pulls of this process, newest first: per-file progress, and the local folder once done. */
  'hub.pulls': request<HubPull[]>()(empty),

  /** The model and SAE folders in the HF cache (downloaded here or by Python tools), ready to open. */
  'hub.cached': request<HubCachedItem[]>()(empty),

  /** Endpoint, cache folder and where the token comes from (never the token). */
  'hub.settings': request<HubSettings>()(empty),

  /** Saves (or with null forgets) the app's own HF token; HF_TOKEN still wins when set. Answers the new settings. */
  'hub.setToken': request<HubSettings>()(hubSetTokenPayload),

  /**
   * Lists a local folder inside an allowed root for the folder picker: subfolders and files, each
   * marked when it looks like a model or SAE (entries leading out of the roots are left out).
   * Without a dir: the allowed roots. A folder outside them is `forbidden`.
   */
  'hub.browse': request<LocalFolder>()(hubBrowsePayload),
} as const satisfies Record<string, RequestDef<z.ZodType, unknown>>;
