#!/usr/bin/env node
// `npm start`: install what is missing, build, and open the app: the Electron window when
// its binary is installed, else the serve host in your browser. Arguments after `--` go to
// the app (e.g. `npm start -- --data ~/sae-data`, or `--port 0` / `--allow-dir DIR` for the
// serve host, which prints a URL carrying its access token; run again, it prints the running one's).
import { spawn } from 'node:child_process';
import { electronBinary, nodeBin, nodeRequirementLines, nodeTooOld, repoRoot, run } from './lib.mjs';
import { ensureInstalled } from './setup.mjs';

// Older Node still runs the app (through the serve host, or an Electron binary already
// installed, which brings its own Node); only installing and packaging Electron need 22.12+.
if (nodeTooOld()) {
  for (const line of nodeRequirementLines('Installing or packaging the desktop app')) console.error(`start: warning: ${line}`);
}
// SAE_EXPLORER_START_CHECK=1: stop after the checks above (the tests use it; nothing is installed or started).
if (process.env['SAE_EXPLORER_START_CHECK'] === '1') process.exit(0);

if (!(await ensureInstalled({ quiet: true }))) process.exit(1);

console.log('start: building (electron-vite build)');
const built = await run(process.execPath, [nodeBin('electron-vite/bin/electron-vite.js'), 'build', '--logLevel', 'warn']);
if (built !== 0) {
  console.error('start: the build failed');
  process.exit(built);
}

const args = process.argv.slice(2);
const electron = electronBinary();
let command;
let commandArgs;
if (electron) {
  console.log('start: launching SAE Explorer');
  command = electron;
  commandArgs = ['.', ...args];
} else {
  console.log('start: the Electron binary is not installed, so the desktop window cannot open.');
  console.log('start:   to install it (needs access to github.com or $ELECTRON_MIRROR): node node_modules/electron/install.js');
  console.log('start:   then: node scripts/postinstall.mjs && npm start');
  console.log('start: serving the app for your browser instead (serve host): open the URL it prints below.');
  console.log('start:   it carries a fresh access token (also kept in serve.json in the data folder); other folders: --allow-dir DIR');
  command = process.execPath;
  commandArgs = ['bin/sae-explorer.mjs', 'serve', ...args];
}

const env = { ...process.env };
// Set by some tools (and by Electron's own test runners); it would make Electron run as plain Node.
delete env.ELECTRON_RUN_AS_NODE;
const child = spawn(command, commandArgs, { cwd: repoRoot, stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
