/**
 * Payloads and results of the workspace requests (`workspace.*`): which model, SAE and
 * corpus the app works on, and what the engine does with them. Pure: zod and types only.
 */
import { z } from 'zod';
import type { JobInfo } from './job-types.ts';
import type { IndexStatus } from './index-types.ts';

/** What the app works on: a model, an SAE at a hook, and the corpus its index covers. */
export interface Selection {
  /** Model folder (HF layout) or .onnx file. */
  readonly model: string;
  /** SAE folder or file. */
  readonly sae: string;
  /** Hook; absent = the SAE's own. */
  readonly hook?: string;
  /** Corpus indexed for this model + SAE; absent = none yet. */
  readonly corpus?: string;
  /** True for the embedded demo the app opens on first run. */
  readonly demo?: boolean;
  /** `replace`: the corpus's bytes that are not UTF-8 are read as U+FFFD (chosen when a retry of its index offered it). */
  readonly invalidUtf8?: 'replace';
}

/** The workspace as the UI shows it. */
export interface WorkspaceInfo {
  /** Null until a model is chosen (and no demo ships with this build). */
  readonly selection: Selection | null;
  /** Facts from the loaded engine; null while it is not loaded. */
  readonly engine: {
    readonly hook: string;
    readonly architecture: string;
    readonly dIn: number;
    readonly dSae: number;
    /** What the SAE does to the hook tensor before encoding, in words (`none` when nothing). */
    readonly preprocessing: string;
    /** The execution provider the sessions were created with. */
    readonly provider: string;
  } | null;
  /** The index file for the selection's corpus and where it stands (null when there is no corpus or file yet). */
  readonly db: string | null;
  readonly index: IndexStatus | null;
  /** The job building that index, while one runs. */
  readonly indexJob: string | null;
  /**
   * The latest job that built or resumed the index in this run of the app, in whatever state
   * (failed: why, and whether `jobs.retry` can run it again); null when none was needed.
   */
  readonly lastIndexJob: JobInfo | null;
  /** Why the engine or the index could not be opened, in words for the user. */
  readonly error: string | null;
}

/** Payload of `workspace.open`. */
export const workspaceOpenPayload = z
  .object({
    model: z.string().min(1),
    sae: z.string().min(1),
    hook: z.string().min(1).optional(),
    corpus: z.string().min(1).optional(),
  })
  .strict();
