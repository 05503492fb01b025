import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createCore } from '../host/core.ts';
import { referenceCases, repoRoot } from '#testing/fixtures.ts';
import { assertLogprobsClose, saePathOf } from '#testing/reference-asserts.ts';

/**
 * Steering through the contract (`workspace.open`, `steer.run`, events, `session.get`)
 * reproduces the PyTorch reference cases and the CLI's `steer` command on them: the same
 * greedy ids and log-probabilities, default and steered.
 */
const run = promisify(execFile);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-steer-ref-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface CliContinuation {
  ids: number[];
  logprobs: number[];
  text: string;
}

/** The CLI's `steer --json` in its own process (core may not import the CLI layer). */
async function cliSteer(args: string[]): Promise<{ baseline: CliContinuation; steered: CliContinuation }> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'src/cli/index.ts'), 'steer', ...args, '--json', '--data', path.join(tmp, 'cli')],
    { cwd: repoRoot, maxBuffer: 16 << 20 },
  );
  return JSON.parse(stdout) as { baseline: CliContinuation; steered: CliContinuation };
}

const cases = referenceCases().filter((c) => c.expected.clamps.length > 0);

describe('steering through the contract reproduces the reference cases and the CLI', () => {
  test('there are reference cases with clamps', () => assert.ok(cases.length >= 2, `found ${cases.length}`));

  for (const c of cases) {
    const e = c.expected;
    test(c.name, async () => {
      const core = createCore({ host: 'cli', data: { flag: path.join(tmp, c.name) } });
      try {
        const opened = await core.request('workspace.open', { model: c.modelDir, sae: saePathOf(c), hook: e.hook });
        assert.ok(opened.ok, opened.ok ? '' : opened.error.message);
        const tokens: { side: string; index: number; id: number }[] = [];
        core.bus.on('steer.token', (t) => tokens.push(t));
        const done = core.bus.next('steer.done');
        const started = await core.request('steer.run', {
          prompt: e.prompt_text,
          interventions: e.clamps.map(([feature, value]) => ({ feature, mode: 'clamp' as const, value })),
          settings: { maxNewTokens: e.max_new_tokens, greedy: true, stopAtEos: false },
        });
        assert.ok(started.ok, started.ok ? '' : started.error.message);
        assert.deepEqual(started.value.session.promptIds, e.prompt_ids, 'the prompt text tokenizes to the reference ids');
        const end = await done;
        assert.equal(end.state, 'done', end.error);
        assert.equal(end.run, started.value.run);

        const got = await core.request('session.get', { id: started.value.session.id });
        assert.ok(got.ok, got.ok ? '' : got.error.message);
        const out = got.value.outputs;
        assert.deepEqual(out.default.ids, e.baseline_ids);
        assert.deepEqual(out.steered.ids, e.steered_ids);
        assertLogprobsClose(out.default.logprobs, e.baseline_logprobs, 'default');
        assertLogprobsClose(out.steered.logprobs, e.steered_logprobs, 'steered');
        // the streamed tokens are the saved ones, in order
        for (const side of ['default', 'steered'] as const) {
          const streamed = tokens.filter((t) => t.side === side);
          assert.deepEqual(
            streamed.map((t) => t.index),
            out[side].ids.map((_, i) => i),
          );
          assert.deepEqual(
            streamed.map((t) => t.id),
            out[side].ids,
          );
        }
        // the next-token table agrees with the greedy first tokens
        assert.equal(got.value.next?.default[0]?.id, e.baseline_ids[0]);
        assert.equal(got.value.next?.steered[0]?.id, e.steered_ids[0]);

        const clamps = e.clamps.flatMap(([f, v]) => ['--clamp', `${f}=${v}`]);
        const cli = await cliSteer([
          '--model',
          c.modelDir,
          '--sae',
          saePathOf(c),
          '--hook',
          e.hook,
          '--text',
          e.prompt_text,
          ...clamps,
          '--max-new-tokens',
          String(e.max_new_tokens),
          '--greedy',
        ]);
        assert.deepEqual(out.default.ids, cli.baseline.ids);
        assert.deepEqual(out.steered.ids, cli.steered.ids);
        assert.equal(out.default.text, cli.baseline.text);
        assert.equal(out.steered.text, cli.steered.text);
        assertLogprobsClose(out.steered.logprobs, cli.steered.logprobs, 'steered vs CLI');
      } finally {
        await core.close();
      }
    });
  }
});
