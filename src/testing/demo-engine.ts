import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { Engine } from '../core/model/engine.ts';
import { repoRoot } from './fixtures.ts';

/**
 * The embedded demo's engine for one test file: opened on the CPU before its tests (spliced
 * graphs cached in a temporary folder, `tmp`, also the file's scratch space) and closed after.
 * Call `engine()` inside tests.
 */
export function demoEngineForTests(prefix: string): { readonly engine: () => Engine; readonly tmp: string } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  let opened: Engine | undefined;
  before(async () => {
    opened = await Engine.open({
      model: path.join(repoRoot, 'resources/demo/model'),
      sae: path.join(repoRoot, 'resources/demo/sae'),
      cacheDir: path.join(tmp, 'cache'),
      provider: 'cpu',
    });
  });
  after(async () => {
    await opened?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  return {
    tmp,
    engine: () => {
      if (!opened) throw new Error('the demo engine opens in before(): call engine() inside a test');
      return opened;
    },
  };
}
