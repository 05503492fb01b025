import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { referenceCases, repoRoot } from '#testing/fixtures.ts';
import { assertLatentsMatch, assertLogprobsClose, saePathOf } from '#testing/reference-asserts.ts';

/** The reference cases reproduced through the real CLI process (`encode`, `steer` with --json). */
const run = promisify(execFile);
const data = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-cli-ref-'));
after(() => fs.rmSync(data, { recursive: true, force: true }));

async function cli(args: string[]): Promise<unknown> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/index.ts'), ...args, '--json', '--data', data], {
    cwd: repoRoot,
    maxBuffer: 64 << 20,
  });
  return JSON.parse(stdout);
}

interface EncodeJson {
  hook: string;
  tokens: { id: number; text: string; latents: [number, number][] }[];
}
interface Continuation {
  ids: number[];
  logprobs: number[];
  text: string;
}

describe('CLI reproduces the PyTorch reference cases', () => {
  for (const c of referenceCases()) {
    const e = c.expected;
    const common = ['--model', c.modelDir, '--sae', saePathOf(c), '--hook', e.hook, '--ids', e.prompt_ids.join(',')];
    test(`${c.name}: encode`, async () => {
      const out = (await cli(['encode', ...common, '--top', String(e.top)])) as EncodeJson;
      assert.equal(out.hook, e.hook);
      assert.deepEqual(
        out.tokens.map((t) => t.id),
        e.prompt_ids,
      );
      out.tokens.forEach((t, i) => assertLatentsMatch(t.latents, e.latents[i]!, `position ${i}`));
    });
    test(`${c.name}: steer`, async () => {
      const clamps = e.clamps.flatMap(([f, v]) => ['--clamp', `${f}=${v}`]);
      const out = (await cli(['steer', ...common, ...clamps, '--max-new-tokens', String(e.max_new_tokens), '--greedy'])) as {
        baseline: Continuation;
        steered: Continuation;
      };
      assert.deepEqual(out.baseline.ids, e.baseline_ids);
      assertLogprobsClose(out.baseline.logprobs, e.baseline_logprobs, 'baseline');
      assert.deepEqual(out.steered.ids, e.steered_ids);
      assertLogprobsClose(out.steered.logprobs, e.steered_logprobs, 'steered');
      assert.equal(typeof out.steered.text, 'string');
    });
  }

  test('a bad option value is one line on stderr and a non-zero exit', async () => {
    const [c] = referenceCases();
    await assert.rejects(
      run(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/index.ts'), 'steer', '--model', c!.modelDir, '--sae', c!.saeDir, '--ids', '1,2', '--clamp', 'x=1', '--data', data], {
        cwd: repoRoot,
      }),
      (err: { code?: number; stderr?: string }) => {
        assert.notEqual(err.code, 0);
        assert.match(err.stderr ?? '', /^error: --clamp takes FEATURE=VALUE/m);
        return true;
      },
    );
  });
});
