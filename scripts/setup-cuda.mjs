#!/usr/bin/env node
// Fetches onnxruntime-node's CUDA 12 execution provider libraries (they are too large for
// the npm registry, so the default install skips them; see scripts/setup.mjs). Needs network access
// to NuGet, and CUDA 12 + cuDNN 9 installed on the system to be usable.
//
//   npm run setup:cuda
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, run } from './lib.mjs';

const installer = path.join(repoRoot, 'node_modules', 'onnxruntime-node', 'script', 'install.js');
if (!fs.existsSync(installer)) {
  console.error('setup:cuda: onnxruntime-node is not installed; run `npm install` first');
  process.exit(1);
}
if (!(process.platform === 'linux' && process.arch === 'x64')) {
  console.log(`setup:cuda: onnxruntime-node has no CUDA download for ${process.platform}/${process.arch}; nothing to do`);
  process.exit(0);
}

// onnxruntime-node 1.30's installer drops the value of `=cuda12` (parseInstallFlag returns
// undefined for it, and then skips when run from an npm script). `true` forces the install of
// this platform's manifest, which on linux/x64 is exactly cuda12.
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'true' };
// npm's package context, and a skip from an older .npmrc (`onnxruntime-node-install=skip`,
// which npm exports to scripts), must not reach it.
for (const key of ['npm_config_onnxruntime_node_install', 'ONNXRUNTIME_NODE_INSTALL_CUDA', 'npm_config_local_prefix', 'npm_package_json']) {
  delete env[key];
}

console.log('setup:cuda: downloading the CUDA 12 execution provider for onnxruntime-node (from NuGet)');
const code = await run(process.execPath, [installer, '--onnxruntime-node-install'], {
  cwd: path.dirname(path.dirname(installer)),
  env,
});
if (code !== 0) {
  console.error(`setup:cuda: the download failed (exit ${code})`);
  process.exit(code);
}
console.log('setup:cuda: done. Check with `npm run --silent cli -- status`; CUDA needs the CUDA 12 and cuDNN 9 libraries on this system.');
