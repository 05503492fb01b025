/**
 * Child process of the crash-safety test: sets one annotation through core, prints the
 * reply, then idles until the parent kills it with SIGKILL (no close, no cleanup).
 * Arguments: data folder, feature id, label.
 */
import { createCore } from '../../host/core.ts';

const [dataDir, feature, label] = process.argv.slice(2);
const core = createCore({ host: 'cli', data: { flag: dataDir } });
const reply = await core.request('annotation.set', { feature: Number(feature), label: label ?? '', tags: ['crash'] });
process.stdout.write(`${JSON.stringify(reply)}\n`);
setInterval(() => undefined, 60_000);
