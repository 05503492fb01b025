/**
 * One app index job, run the way the app ships it: bench/index.ts bundles this file with the
 * index worker (scripts/build-cli.mjs's `bundle`, as the CLI and the serve host are built) into
 * out/bench/ and runs it in a process of its own. Running the TypeScript sources instead would
 * time tsx compiling the worker's modules at its start (~0.5 s), which the app never does.
 *
 * `node out/bench/app-index.mjs JSON`, JSON = { options, engine: 'shared' | 'separate' | 'thread' }:
 * opens the workspace's engine and runs one capture (the app's engine is warm when a job starts),
 * then starts the job with startIndexWorker: capturing on that engine ('shared', as the app does),
 * or beside it with an engine of its own ('separate', the job before issue #21 item 4); or runs
 * it with runIndex on this thread on that engine ('thread', as the CLI's `index` does). Prints
 * one JSON line: the result, the job's wall time and its index phase's, and the peak RSS.
 */
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { runIndex, type IndexJobOptions, type IndexProgress, type IndexResult } from '../src/core/index/indexer.ts';
import { startIndexWorker } from '../src/core/index/worker-client.ts';
import { Engine } from '../src/core/model/engine.ts';

/** What bench/index.ts passes. */
export interface AppIndexArgs {
  readonly options: IndexJobOptions;
  readonly engine: 'shared' | 'separate' | 'thread';
}

/** What this prints. */
export interface AppIndexRun {
  readonly result: IndexResult;
  /** The job's wall time, from starting the worker to its result. */
  readonly seconds: number;
  /** Until the index phase ended (the statistics come after). */
  readonly indexSeconds: number;
  readonly maxRssMB: number;
  /** The longest and the 99th-percentile delay of this thread's event loop during the job (ms): how long a request waited at worst. */
  readonly coreThreadStallMs: { readonly max: number; readonly p99: number };
}

const args = JSON.parse(process.argv[2]!) as AppIndexArgs;
const { options } = args;
const engine = await Engine.open({
  model: path.resolve(options.model),
  sae: path.resolve(options.sae),
  cacheDir: options.cacheDir,
  ...(options.provider ? { provider: options.provider } : {}),
  // as the app opens its engine (workspace.ts): captures run in the engine's capture thread
  ...(args.engine === 'shared' ? { captureThread: true } : {}),
});
await engine.capture([Array.from({ length: options.context ?? 128 }, (_, i) => i % 200)], 8);
let indexEnd = 0;
// how long this thread (the app's) waited at worst: a capture call holds the thread that runs it
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
const t0 = performance.now();
const progress = (p: IndexProgress): void => void (p.phase === 'merge' && p.total !== null && (indexEnd = performance.now()));
const result =
  args.engine === 'thread'
    ? await runIndex(options, { progress }, { engine })
    : await startIndexWorker(options, { progress }, args.engine === 'shared' ? engine : undefined).result;
const seconds = (performance.now() - t0) / 1000;
delay.disable();
await engine.close();
const run: AppIndexRun = {
  result,
  seconds,
  indexSeconds: (indexEnd - t0) / 1000,
  maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  coreThreadStallMs: { max: Math.round(delay.max / 1e6), p99: Math.round(delay.percentile(99) / 1e6) },
};
console.log(JSON.stringify(run));
process.exit(0);
