/**
 * The lint layers of eslint.config.js: product code never imports src/testing (the test
 * tooling, not shipped), whether as `#testing/...` or by a relative path; tests and
 * src/testing itself may.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';

const root = path.resolve(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

/** The no-restricted-imports messages ESLint gives `code` as if it were the file `filePath`. */
async function restricted(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, filePath) });
  assert.ok(result);
  assert.deepEqual(
    result.messages.filter((m) => m.fatal),
    [],
    'the text parses',
  );
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const subpath = "import { repoRoot } from '#testing/fixtures.ts';\nexport const root = repoRoot;\n";
const relative = "import { repoRoot } from '../../testing/fixtures.ts';\nexport const root = repoRoot;\n";

describe('src/testing stays out of the product', () => {
  for (const file of [
    'src/core/index/x.ts',
    'src/shared/x.ts',
    'src/server/x.ts',
    'src/cli/commands/x.ts',
    'src/main/x.ts',
    'src/preload/x.ts',
    'src/renderer/src/x.ts',
  ]) {
    test(`${file} may not import #testing/...`, async () => {
      const messages = await restricted(subpath, file);
      assert.equal(messages.length, 1, messages.join('\n'));
      assert.match(messages[0]!, /must not import src\/testing/);
    });
  }

  test('nor by a relative path', async () => {
    const messages = await restricted(relative, 'src/core/index/x.ts');
    assert.equal(messages.length, 1, messages.join('\n'));
    assert.match(messages[0]!, /must not import src\/testing/);
  });

  test('tests anywhere under src may', async () => {
    for (const file of ['src/core/index/x.test.ts', 'src/server/x.test.ts', 'src/shared/x.test.ts', 'src/renderer/src/x.test.ts']) {
      assert.deepEqual(await restricted(subpath, file), [], file);
    }
    assert.deepEqual(await restricted(relative, 'src/core/index/x.test.ts'), []);
  });

  test('and so may src/testing itself, e2e and bench', async () => {
    for (const file of ['src/testing/index/x.ts', 'e2e/x.spec.ts', 'bench/x.ts', 'test/scripts/x.test.ts']) {
      assert.deepEqual(await restricted(subpath, file), [], file);
    }
  });

  test('a test still keeps its layer: core tests may not import electron', async () => {
    const messages = await restricted("import { app } from 'electron';\nexport const a = app;\n", 'src/core/index/x.test.ts');
    assert.equal(messages.length, 1, messages.join('\n'));
  });
});

/** One import of `spec` (a relative path) as a product file would write it. */
const importOf = (spec: string): string => `import * as m from '${spec}';\nexport const x = m;\n`;

describe('the floors inside src/core', () => {
  test('kernel imports no other core folder', async () => {
    for (const spec of ['../index/reader.ts', '../model/engine.ts', '../util/random.ts', '../workspace/service.ts']) {
      const messages = await restricted(importOf(spec), 'src/core/kernel/x.ts');
      assert.equal(messages.length, 1, `${spec}: ${messages.join('\n')}`);
      assert.match(messages[0]!, /src\/core\/kernel must not import/);
    }
    assert.deepEqual(await restricted(importOf('./events.ts'), 'src/core/kernel/x.ts'), []);
  });

  test('model and sae import only kernel, util and each other', async () => {
    assert.deepEqual(await restricted(importOf('../sae/types.ts'), 'src/core/model/x.ts'), []);
    assert.deepEqual(await restricted(importOf('../../kernel/sqlite.ts'), 'src/core/model/onnx/x.ts'), []);
    assert.equal((await restricted(importOf('../index/reader.ts'), 'src/core/sae/x.ts')).length, 1);
    assert.equal((await restricted(importOf('../explorer/decoder.ts'), 'src/core/model/x.ts')).length, 1);
  });

  test('index imports kernel, model, sae and util, no feature', async () => {
    assert.deepEqual(await restricted(importOf('../model/engine.ts'), 'src/core/index/x.ts'), []);
    assert.equal((await restricted(importOf('../explorer/service.ts'), 'src/core/index/x.ts')).length, 1);
    assert.equal((await restricted(importOf('../../workspace/service.ts'), 'src/core/index/migrations/x.ts')).length, 1);
  });

  test('feature areas reach one another only through service.ts', async () => {
    assert.deepEqual(await restricted(importOf('../annotations/service.ts'), 'src/core/explorer/x.ts'), []);
    assert.deepEqual(await restricted(importOf('../index/reader.ts'), 'src/core/steer/x.ts'), []);
    const messages = await restricted(importOf('../annotations/store.ts'), 'src/core/health/x.ts');
    assert.equal(messages.length, 1, messages.join('\n'));
    assert.match(messages[0]!, /except through its service\.ts/);
  });

  test('nothing in core imports host but host itself; the CLI, server and main may', async () => {
    for (const file of ['src/core/kernel/x.ts', 'src/core/index/x.ts', 'src/core/explorer/x.ts']) {
      const messages = await restricted(importOf('../host/core.ts'), file);
      assert.equal(messages.length, 1, `${file}: ${messages.join('\n')}`);
      assert.match(messages[0]!, /imports src\/core\/host/);
    }
    assert.deepEqual(await restricted(importOf('./services.ts'), 'src/core/host/x.ts'), []);
    assert.deepEqual(await restricted(importOf('../explorer/service.ts'), 'src/core/host/x.ts'), []);
    for (const file of ['src/cli/commands/x.ts', 'src/server/x.ts', 'src/main/x.ts']) {
      const spec = file.startsWith('src/cli/commands') ? '../../core/host/core.ts' : '../core/host/core.ts';
      assert.deepEqual(await restricted(importOf(spec), file), [], file);
    }
  });

  test('the CLI reaches core only through src/core/host; its tests may reach further', async () => {
    for (const [spec, file] of [
      ['../../core/index/reader.ts', 'src/cli/commands/x.ts'],
      ['../../core/model/engine.ts', 'src/cli/commands/x.ts'],
      ['../core/kernel/version.ts', 'src/cli/x.ts'],
    ] as const) {
      const messages = await restricted(importOf(spec), file);
      assert.equal(messages.length, 1, `${spec}: ${messages.join('\n')}`);
      assert.match(messages[0]!, /src\/cli imports src\/core only through src\/core\/host/);
    }
    assert.deepEqual(await restricted(importOf('../../core/host/cli.ts'), 'src/cli/commands/x.ts'), []);
    assert.deepEqual(await restricted(importOf('../core/host/core.ts'), 'src/cli/x.ts'), []);
    assert.deepEqual(await restricted(importOf('#shared/contract.ts'), 'src/cli/commands/x.ts'), []);
    assert.deepEqual(await restricted(importOf('../../core/index/reader.ts'), 'src/cli/commands/x.test.ts'), []);
  });

  test('tests may assemble across floors', async () => {
    assert.deepEqual(await restricted(importOf('../host/core.ts'), 'src/core/index/x.test.ts'), []);
  });
});

describe('product code stays in small rooms', () => {
  /** The size rules' messages for `code` as the file `filePath`. */
  async function sizes(code: string, filePath: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: path.join(root, filePath) });
    assert.ok(result);
    return result.messages.filter((m) => m.ruleId === 'max-lines-per-function' || m.ruleId === 'max-lines').map((m) => m.message);
  }
  const fn = (lines: number): string =>
    `export function long(): number {\n  let x = 0;\n${'  x += 1;\n'.repeat(lines - 4)}  return x;\n}\n`;

  test('a function of 81 lines fails in product code; 80 pass', async () => {
    const messages = await sizes(fn(81), 'src/core/index/x.ts');
    assert.equal(messages.length, 1, messages.join('\n'));
    assert.match(messages[0]!, /too many lines \(81\)\. Maximum allowed is 80/);
    assert.deepEqual(await sizes(fn(80), 'src/core/index/x.ts'), []);
    assert.equal((await sizes(fn(81), 'src/renderer/src/x.tsx')).length, 1);
  });

  test('a file of 401 lines fails in product code', async () => {
    const code = Array.from({ length: 401 }, (_, i) => `export const v${i} = ${i};`).join('\n') + '\n';
    const messages = await sizes(code, 'src/cli/commands/x.ts');
    assert.equal(messages.length, 1, messages.join('\n'));
    assert.match(messages[0]!, /File has too many lines \(401\)/);
  });

  test('tests and test tooling are exempt', async () => {
    for (const file of ['src/core/index/x.test.ts', 'src/testing/index/x.ts', 'src/core/index/testdata/x.ts', 'bench/x.ts']) {
      assert.deepEqual(await sizes(fn(200), file), [], file);
    }
  });
});

describe('src/shared is reached by its alias', () => {
  test('a climbing relative import of src/shared fails; #shared/... passes', async () => {
    const climbing = "import { AppError } from '../../shared/reply.ts';\nexport const E = AppError;\n";
    const alias = "import { AppError } from '#shared/reply.ts';\nexport const E = AppError;\n";
    for (const file of ['src/core/index/x.ts', 'src/renderer/src/screens/x.tsx', 'src/core/index/x.test.ts']) {
      const messages = await restricted(climbing, file);
      assert.equal(messages.length, 1, `${file}: ${messages.join('\n')}`);
      assert.match(messages[0]!, /Import src\/shared as #shared/);
      assert.deepEqual(await restricted(alias, file), [], file);
    }
  });
});
