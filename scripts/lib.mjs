// Helpers shared by the scripts in this folder. Node built-ins only: these run before
// (and while) npm installs anything.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The Node.js the desktop app and its packaging need: Electron 45 and the tools that install
 * and package it (@electron/get, @electron/rebuild, node-abi) declare `node >= 22.12.0`.
 * The CLI, the serve host and the tests also run on Node 20.19+.
 */
export const NODE_REQUIRED = '22.12.0';

/** True when `version` (default: this Node's) is older than NODE_REQUIRED. */
export function nodeTooOld(version = process.versions.node) {
  const [a = 0, b = 0, c = 0] = version.split('.').map(Number);
  const [x = 0, y = 0, z = 0] = NODE_REQUIRED.split('.').map(Number);
  return a !== x ? a < x : b !== y ? b < y : c < z;
}

/** What to tell a user whose Node is too old for `what` (e.g. "the desktop app"), one line each. */
export function nodeRequirementLines(what) {
  return [
    `${what} needs Node.js ${NODE_REQUIRED} or newer; this is Node ${process.versions.node}.`,
    '  Electron 45 and the tools that install and package it (@electron/get, @electron/rebuild, node-abi) require it;',
    '  on older Node, npm warns EBADENGINE about them.',
    '  Install Node 22 LTS or newer (https://nodejs.org, or: nvm install 22), then run this again.',
    '  On this Node the command line, the app in a browser and the tests still run:',
    '    npm run build && npm run serve     (open the URL it prints)',
    '    npm test',
  ];
}

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
