// Types of scripts/fuses.mjs for the TypeScript tests that import it.
import type { FuseV1Config } from '@electron/fuses';

/** The part of electron-builder's AfterPackContext that fuses.mjs reads. */
export interface FuseContext {
  readonly appOutDir: string;
  readonly electronPlatformName: string;
  readonly arch?: number;
  readonly packager: { readonly appInfo: { readonly productFilename: string }; readonly executableName?: string };
}

/** Fuse name (as FuseV1Options names it) → on/off. */
export declare const APP_FUSES: Readonly<Record<string, boolean>>;

/** The @electron/fuses configuration for APP_FUSES. */
export declare function fuseConfig(options?: { resetAdHocDarwinSignature?: boolean }): FuseV1Config;

/** The packaged Electron executable (the .app bundle on macOS). */
export declare function electronExecutable(context: FuseContext): string;

/** Flips APP_FUSES in the packaged binary and checks them; returns the executable's path. */
export declare function flipAppFuses(context: FuseContext): Promise<string>;
