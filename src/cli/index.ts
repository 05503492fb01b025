/**
 * The `sae-explorer` command line: `npm run --silent cli -- <command> [options]`, or the
 * package bin (bin/sae-explorer.mjs). Commands live in ./commands, one file each.
 */
import { runCli } from './main.ts';

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // A second Ctrl-C while shutting down exits at once.
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
  });
}

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  signal: stop.signal,
});
// Native add-ons (onnxruntime's thread pool) can keep the loop alive; exit once output is flushed.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
