// Helpers shared by the scripts in this folder. Node built-ins only: these run before
// (and while) npm installs anything.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** node_modules/electron, whether or not its binary was downloaded. */
export const electronDir = path.join(repoRoot, 'node_modules', 'electron');

/**
 * The Electron executable when its binary is installed, else undefined. Reads
 * path.txt directly: require('electron') would try to download a missing binary.
 */
export function electronBinary() {
  try {
    const rel = fs.readFileSync(path.join(electronDir, 'path.txt'), 'utf8').trim();
    const exe = process.env.ELECTRON_OVERRIDE_DIST_PATH
      ? path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, rel)
      : path.join(electronDir, 'dist', rel);
    return rel && fs.existsSync(exe) ? exe : undefined;
  } catch {
    return undefined;
  }
}

/** The installed electron package's version, or undefined. */
export function electronVersion() {
  try {
    return JSON.parse(fs.readFileSync(path.join(electronDir, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** Runs a command with inherited stdio; resolves with its exit code (signals count as 1). */
export function run(command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', cwd: repoRoot, ...options });
    child.on('error', (e) => {
      console.error(`${command}: ${e.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** How to run npm: through the npm that runs us when there is one, else from PATH. */
export function npmCommand() {
  const cli = process.env.npm_execpath;
  if (cli && /npm-cli\.c?js$/.test(cli)) return { command: process.execPath, prefix: [cli] };
  return process.platform === 'win32' ? { command: 'npm.cmd', prefix: [], shell: true } : { command: 'npm', prefix: [] };
}

/** Runs a package's JS entry (e.g. electron-vite's bin) with this Node. */
export function nodeBin(relativePath) {
  return path.join(repoRoot, 'node_modules', relativePath);
}
