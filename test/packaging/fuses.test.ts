import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { electronExecutable, flipAppFuses, type FuseContext } from '../../scripts/fuses.mjs';

// A fake Electron binary laid out as @electron/fuses reads one: anything, the sentinel, the
// wire version (1), the wire length, one '0'/'1' byte per fuse, anything.
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
// Electron's defaults: RunAsNode, CookieEncryption, NodeOptions, NodeCliInspect,
// AsarIntegrity, OnlyLoadAppFromAsar, BrowserV8Snapshot, FileProtocolPrivileges and a
// ninth fuse this @electron/fuses does not know (newer Electrons have more).
const DEFAULT_WIRE = '101100011';
const HEAD = Buffer.from('\x7fELF fake electron head ');
const TAIL = Buffer.from(' fake electron tail');

function fakeElectron(file: string, wire = DEFAULT_WIRE): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.concat([HEAD, Buffer.from(SENTINEL), Buffer.from([1, wire.length]), Buffer.from(wire), TAIL]));
}

/** The fuse wire as the package's own reader sees it: FuseV1Options name (or index) → '0'/'1'. */
async function readFuses(executable: string): Promise<Record<string, string>> {
  const wire = await getCurrentFuseWire(executable);
  const out: Record<string, string> = {};
  for (const [key, state] of Object.entries(wire)) {
    if (key === 'version') continue;
    const name = FuseV1Options[Number(key)] ?? key;
    out[name] = String.fromCharCode(Number(state));
  }
  return out;
}

const HARDENED = {
  RunAsNode: '0',
  EnableCookieEncryption: '1',
  EnableNodeOptionsEnvironmentVariable: '0',
  EnableNodeCliInspectArguments: '0',
  EnableEmbeddedAsarIntegrityValidation: '1',
  OnlyLoadAppFromAsar: '1',
  LoadBrowserProcessSpecificV8Snapshot: '0', // not configured: Electron's default stays
  GrantFileProtocolExtraPrivileges: '0',
  '8': '1', // unknown to @electron/fuses: untouched
};

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-fuses-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const context = (platform: string, arch = 1): FuseContext => ({
  appOutDir: path.join(tmp, platform),
  electronPlatformName: platform,
  arch,
  packager: { appInfo: { productFilename: 'SAE Explorer' }, executableName: 'sae-explorer' },
});

test('the hook flips the hardening fuses in a Linux build', async () => {
  const ctx = context('linux');
  const exe = path.join(ctx.appOutDir, 'sae-explorer');
  fakeElectron(exe);
  assert.equal((await readFuses(exe))['RunAsNode'], '1', 'fake starts with Electron defaults');
  assert.equal(await flipAppFuses(ctx), exe);
  assert.deepEqual(await readFuses(exe), HARDENED);
  // only the wire changed
  const bytes = fs.readFileSync(exe);
  assert.ok(bytes.subarray(0, HEAD.length).equals(HEAD));
  assert.ok(bytes.subarray(bytes.length - TAIL.length).equals(TAIL));
});

test('the hook finds the binary of Windows and macOS builds', async () => {
  const win = context('win32');
  fakeElectron(path.join(win.appOutDir, 'SAE Explorer.exe'));
  await flipAppFuses(win);
  assert.deepEqual(await readFuses(path.join(win.appOutDir, 'SAE Explorer.exe')), HARDENED);

  const mac = context('darwin');
  const app = path.join(mac.appOutDir, 'SAE Explorer.app');
  fakeElectron(path.join(app, 'Contents', 'Frameworks', 'Electron Framework.framework', 'Electron Framework'));
  assert.equal(electronExecutable(mac), app);
  await flipAppFuses(mac);
  assert.deepEqual(await readFuses(app), HARDENED);
});

test('packaging fails when the fuses cannot be set', async () => {
  const ctx = context('linux-broken');
  const noSentinel = { ...ctx, electronPlatformName: 'linux' };
  fs.mkdirSync(ctx.appOutDir, { recursive: true });
  fs.writeFileSync(path.join(ctx.appOutDir, 'sae-explorer'), 'no fuse wire here');
  await assert.rejects(flipAppFuses(noSentinel), /sentinel/);

  // an Electron whose wire has no room for OnlyLoadAppFromAsar and later fuses
  fakeElectron(path.join(ctx.appOutDir, 'sae-explorer'), '10110');
  await assert.rejects(flipAppFuses(noSentinel), /not long enough/);

  await assert.rejects(flipAppFuses({ ...ctx, electronPlatformName: 'freebsd' }), /unknown platform/);
});

test('electron-builder packs the app into an asar and runs the hook', () => {
  const yml = fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'electron-builder.yml'), 'utf8');
  // OnlyLoadAppFromAsar and asar integrity need the app inside app.asar
  assert.match(yml, /^asar: true$/m);
  assert.match(yml, /^afterPack: \.\/scripts\/after-pack\.mjs$/m);
});
