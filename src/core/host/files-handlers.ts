import type { ContractHandlers } from '#shared/contract.ts';
import type { fileRequests } from '#shared/file-types.ts';
import { AppError } from '#shared/reply.ts';
import type { CoreServices } from './services.ts';

/** Handlers of every request declared in src/shared/file-types.ts. */
export type FileHandlers = Pick<ContractHandlers, keyof typeof fileRequests>;

/** Builds this area's handlers for one core instance. */
export function fileHandlers(core: CoreServices): FileHandlers {
  return {
    'files.pick': async ({ kind }) => {
      if (!core.pickPath) {
        throw new AppError(
          'unavailable',
          'this host has no native file dialog: grant a folder by restarting `serve` with `--allow-dir DIR` (repeatable)',
        );
      }
      const picked = await core.pickPath(kind);
      if (picked === null) return { path: null };
      core.files.grant(picked);
      return { path: picked };
    },
  };
}
