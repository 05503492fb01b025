/**
 * Payloads and results of the file-access requests (`files.*`): which folders the API may
 * reach and how the desktop app grants more. Pure: zod and types only.
 */
import { z } from 'zod';
import { request, type RequestDef } from './request-def.ts';

/**
 * Where an allowed folder comes from: the data folder, the HF cache, the embedded demo, or
 * a grant (`serve --allow-dir DIR`, or picked in the desktop app's native dialog).
 */
export type FileRootKind = 'data' | 'hf-cache' | 'demo' | 'granted';

/** Payload of `files.pick`. */
export const filesPickPayload = z
  .object({
    /** Pick a folder (default) or a single file. */
    kind: z.enum(['folder', 'file']).default('folder'),
  })
  .strict();

/** What `files.pick` answers: the picked path, now granted, or null when the user cancelled. */
export interface PickedPath {
  readonly path: string | null;
}

/** Every request of this area, by name; each entry with JSDoc (see contract.ts). */
export const fileRequests = {
  /**
   * Opens the host's native file dialog (the desktop app only) and grants what the user picks
   * to every request of this process. Hosts without one (the serve host) answer `unavailable`:
   * there, folders are granted with `serve --allow-dir DIR`.
   */
  'files.pick': request<PickedPath>()(filesPickPayload),
} as const satisfies Record<string, RequestDef<z.ZodType, unknown>>;
