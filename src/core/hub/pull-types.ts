/** A pull from the Hub as its callers see it: what to pull, where it stands, how it reports. */
import type { HubKind, HubPullFile } from '#shared/hub-types.ts';

/** What to pull. */
export interface PullRequest {
  readonly repo: string;
  /** Folder or file inside the repo ('' or absent = the root). */
  readonly path?: string;
  /** Branch, tag or commit; default `main`. */
  readonly revision?: string;
  readonly kind?: HubKind;
  /** Models: the ONNX file (path inside the repo). */
  readonly onnxFile?: string;
  /** Hash cached files too. */
  readonly verify?: boolean;
}

/** Where a pull stands, for progress displays. */
export interface PullState {
  readonly kind: HubKind | null;
  readonly commit: string | null;
  readonly files: readonly HubPullFile[];
  /** Bytes to transfer in this run (cached files and resumed bytes excluded), and transferred so far. */
  readonly total: number;
  readonly done: number;
}

/** How a pull reports and stops. */
export interface PullHooks {
  readonly signal: AbortSignal;
  /** The state changed (per chunk while downloading: keep it cheap). */
  update?(state: PullState): void;
  log?(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
}
