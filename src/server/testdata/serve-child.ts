/**
 * A serve host in a process of its own, on the embedded demo's model and SAE (no corpus, so
 * nothing is indexed), for tests that measure the host's memory (robustness.test.ts).
 * Prints one JSON line {url, token} once it listens; stops on SIGTERM.
 * Usage: serve-child.ts <data dir>
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore } from '../../core/host/core.ts';
import { startServeHost } from '../server.ts';

const [data] = process.argv.slice(2);
if (!data) throw new Error('usage: serve-child.ts <data dir>');
const demo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../resources/demo');
const core = createCore({ host: 'serve', data: { flag: data } });
const opened = await core.request('workspace.open', { model: path.join(demo, 'model'), sae: path.join(demo, 'sae') });
if (!opened.ok) throw new Error(opened.error.message);
const host = await startServeHost({ core, port: 0, rendererDir: path.join(data, 'no-renderer') });
process.stdout.write(`${JSON.stringify({ url: host.url, token: host.token })}\n`);
process.on('SIGTERM', () => {
  void host
    .close()
    .then(() => core.close())
    .then(() => process.exit(0));
});
