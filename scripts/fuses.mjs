// Electron fuses of the packaged app, flipped in the Electron binary by the afterPack hook
// (scripts/after-pack.mjs), i.e. before electron-builder signs it, so the OS code-signing
// check guards them. Node built-ins and @electron/fuses only.
import path from 'node:path';
import { FuseV1Options, FuseVersion, flipFuses, getCurrentFuseWire } from '@electron/fuses';

/**
 * Fuse name (as @electron/fuses's FuseV1Options names it) → on/off. Fuses not listed keep
 * Electron's default. OnlyLoadAppFromAsar needs `asar: true` in electron-builder.yml;
 * electron-builder embeds the asar header hash that EnableEmbeddedAsarIntegrityValidation
 * checks (macOS and Windows; the fuse does nothing on Linux).
 */
export const APP_FUSES = Object.freeze({
  RunAsNode: false,
  EnableCookieEncryption: true,
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  EnableEmbeddedAsarIntegrityValidation: true,
  OnlyLoadAppFromAsar: true,
  // The renderer is served from sae://, never file://.
  GrantFileProtocolExtraPrivileges: false,
});

/** The bytes the fuse wire uses for a fuse's state ('0' and '1'). */
const FUSE_OFF = 0x30;
const FUSE_ON = 0x31;

/** electron-builder's Arch.arm64. */
const ARCH_ARM64 = 3;

/**
 * The @electron/fuses configuration for APP_FUSES. Throws when the installed
 * @electron/fuses does not know one of the fuses.
 * @param {{ resetAdHocDarwinSignature?: boolean }} [options]
 * @returns {import('@electron/fuses').FuseV1Config}
 */
export function fuseConfig({ resetAdHocDarwinSignature = false } = {}) {
  /** @type {Record<string, unknown>} */
  const config = { version: FuseVersion.V1, resetAdHocDarwinSignature };
  for (const [name, on] of Object.entries(APP_FUSES)) {
    const index = FuseV1Options[name];
    if (typeof index !== 'number') throw new Error(`fuses: @electron/fuses has no fuse named ${name}; update it`);
    config[index] = on;
  }
  return /** @type {import('@electron/fuses').FuseV1Config} */ (config);
}

/**
 * The packaged Electron executable (the .app bundle on macOS) in electron-builder's
 * afterPack context.
 * @param {{ appOutDir: string, electronPlatformName: string, packager: { appInfo: { productFilename: string }, executableName?: string } }} context
 * @returns {string}
 */
export function electronExecutable(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  switch (electronPlatformName) {
    case 'darwin':
    case 'mas':
      return path.join(appOutDir, `${packager.appInfo.productFilename}.app`);
    case 'win32':
      return path.join(appOutDir, `${packager.appInfo.productFilename}.exe`);
    case 'linux':
      if (!packager.executableName) throw new Error('fuses: the Linux packager has no executableName');
      return path.join(appOutDir, packager.executableName);
    default:
      throw new Error(`fuses: unknown platform ${electronPlatformName}`);
  }
}

/**
 * Flips APP_FUSES in the packaged app's Electron binary, then reads the wire back and
 * throws unless every fuse reads as configured. macOS arm64 binaries get a fresh ad-hoc
 * signature (flipping invalidates the old one). Returns the executable's path.
 * @param {{ appOutDir: string, electronPlatformName: string, arch?: number, packager: { appInfo: { productFilename: string }, executableName?: string } }} context
 * @returns {Promise<string>}
 */
export async function flipAppFuses(context) {
  const executable = electronExecutable(context);
  const darwin = context.electronPlatformName === 'darwin' || context.electronPlatformName === 'mas';
  await flipFuses(executable, fuseConfig({ resetAdHocDarwinSignature: darwin && context.arch === ARCH_ARM64 }));
  const wire = await getCurrentFuseWire(executable);
  const wrong = Object.entries(APP_FUSES).filter(([name, on]) => wire[FuseV1Options[name]] !== (on ? FUSE_ON : FUSE_OFF));
  if (wrong.length > 0) {
    throw new Error(`fuses: ${wrong.map(([name]) => name).join(', ')} did not take in ${executable}`);
  }
  return executable;
}
