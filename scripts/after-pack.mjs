// electron-builder afterPack hook (runs before signing):
// 1. puts the Electron-ABI build of better-sqlite3 (made by scripts/postinstall.mjs into
//    .cache/electron-native) into the packaged app, in place of the plain-Node build copied
//    from node_modules (see npmRebuild: false in electron-builder.yml);
// 2. flips the Electron fuses of scripts/fuses.mjs in the packaged binary.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_FUSES, flipAppFuses } from './fuses.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export default async function afterPack(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  const resources =
    electronPlatformName === 'darwin' || electronPlatformName === 'mas'
      ? path.join(appOutDir, `${packager.appInfo.productFilename}.app`, 'Contents', 'Resources')
      : path.join(appOutDir, 'resources');
  const target = path.join(resources, 'app.asar.unpacked', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');

  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, '.cache', 'electron-native', 'manifest.json'), 'utf8'));
  } catch {
    throw new Error(
      'after-pack: no Electron build of better-sqlite3 (.cache/electron-native). Install the Electron binary ' +
        '(node node_modules/electron/install.js), then run node scripts/postinstall.mjs, then npm run dist again.',
    );
  }
  const electron = packager.config.electronVersion ?? packager.info?.framework?.version;
  if (electron && manifest.electron !== electron) {
    throw new Error(
      `after-pack: .cache/electron-native was built for Electron ${manifest.electron}, packaging ${electron}; run node scripts/postinstall.mjs`,
    );
  }
  if (context.arch !== undefined && process.arch !== archName(context.arch)) {
    throw new Error(
      `after-pack: the Electron build of better-sqlite3 is for ${process.arch}; build installers for other architectures on such a machine`,
    );
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(path.join(repoRoot, manifest.betterSqlite3), target);
  console.log(`after-pack: better-sqlite3 for Electron ${manifest.electron} -> ${path.relative(appOutDir, target)}`);

  const executable = await flipAppFuses(context);
  const fuses = Object.entries(APP_FUSES).map(([name, on]) => `${name}=${on ? 'on' : 'off'}`);
  console.log(`after-pack: fuses ${fuses.join(' ')} -> ${path.relative(appOutDir, executable)}`);
}

/** electron-builder's Arch enum (0 ia32, 1 x64, 2 armv7l, 3 arm64, 4 universal) as Node names. */
function archName(arch) {
  return ['ia32', 'x64', 'arm', 'arm64', 'universal'][arch] ?? String(arch);
}
