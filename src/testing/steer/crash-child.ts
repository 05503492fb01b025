/**
 * Test support for sessions.test.ts: starts a long steering run on the embedded demo in
 * this process, prints its session id, and runs until the parent kills it (SIGKILL), so
 * the test can check what a crash leaves in sessions.sqlite. argv: data folder, model, SAE.
 */
import { createCore } from '../../core/host/core.ts';

const [data, model, sae] = process.argv.slice(2);
if (!data || !model || !sae) throw new Error('usage: crash-child.ts DATA MODEL SAE');
const core = createCore({ host: 'cli', data: { flag: data } });
const opened = await core.request('workspace.open', { model, sae });
if (!opened.ok) throw new Error(opened.error.message);
const started = await core.request('steer.run', {
  prompt: 'The house was built two hundred years',
  interventions: [{ feature: 320, mode: 'clamp', value: 0 }],
  settings: { maxNewTokens: 240, greedy: false, stopAtEos: false },
});
if (!started.ok) throw new Error(started.error.message);
process.stdout.write(`${started.value.session.id}\n`);
