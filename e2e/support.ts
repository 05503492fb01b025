/**
 * Shared setup of the browser specs: a serve host on a temporary data folder (optionally
 * with a reference fixture standing in for the embedded demo) plus headless Chromium, and
 * calling the contract from a page.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright';
import { writeStandInDemo } from '#testing/demo.ts';
import { launchChromium, resultsDir, startServeChild, tempDir, type ServeChild } from './harness.ts';

/** How `startHost` prepares the serve host. */
export interface HostOptions {
  /**
   * A reference fixture (by name) copied to `<tmp>/resources/demo` with `corpus` as its
   * corpus.jsonl, one JSON line a document: a small stand-in for the embedded demo (same
   * layout) so a spec's first run stays quick. Without it the host opens the real demo.
   */
  readonly demo?: {
    readonly fixture: string;
    readonly corpus: readonly unknown[];
    /** Raw bytes appended to corpus.jsonl after its JSON lines (e.g. a line that is not UTF-8). */
    readonly tail?: Uint8Array;
  };
  /** More environment for the host (added to this process's), or a function of the spec's temporary folder that gives it. */
  readonly env?: NodeJS.ProcessEnv | ((tmp: string) => NodeJS.ProcessEnv);
  /** Folders the host may reach besides its data folder, HF cache and demo (`serve --allow-dir`). */
  readonly allowDirs?: readonly string[];
}

/** A running serve host and browser for one describe block; `close` in its `after`. */
export interface E2eHost {
  /** The temporary folder of the spec (removed by `close`); the host's data is in `<tmp>/data`. */
  readonly tmp: string;
  /** The stand-in demo's folder, when `demo` was given. */
  readonly demoDir: string | undefined;
  readonly browser: Browser;
  /** The current host (a new one after `restartServer`). */
  readonly server: ServeChild;
  /** Stops the host and starts it again on the same data folder. */
  restartServer(): Promise<ServeChild>;
  /** Closes the browser and the host, then removes `tmp`. */
  close(): Promise<void>;
}

/**
 * Makes a temporary folder named after `prefix`, the results folder for screenshots and
 * (with `demo`) the stand-in demo, then starts the serve host and Chromium side by side.
 */
export async function startHost(prefix: string, options: HostOptions = {}): Promise<E2eHost> {
  const tmp = tempDir(prefix);
  fs.mkdirSync(resultsDir, { recursive: true });
  const resources = path.join(tmp, 'resources');
  const demoDir = options.demo ? writeStandInDemo(resources, options.demo.fixture, options.demo.corpus) : undefined;
  if (demoDir && options.demo?.tail) fs.appendFileSync(path.join(demoDir, 'corpus.jsonl'), options.demo.tail);
  const serveOptions = {
    dataDir: path.join(tmp, 'data'),
    allowDirs: options.allowDirs ?? [],
    env: {
      ...(demoDir ? { SAE_EXPLORER_RESOURCES: resources } : {}),
      ...(typeof options.env === 'function' ? options.env(tmp) : options.env),
    },
  };
  const settled = await Promise.allSettled([startServeChild(serveOptions), launchChromium()]);
  const [started, launched] = settled;
  if (started.status !== 'fulfilled' || launched.status !== 'fulfilled') {
    // one side may have started: leave nothing running behind a failed setup
    await Promise.allSettled([
      started.status === 'fulfilled' ? started.value.stop() : undefined,
      launched.status === 'fulfilled' ? launched.value.close() : undefined,
    ]);
    fs.rmSync(tmp, { recursive: true, force: true });
    throw settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
  }
  const host = {
    tmp,
    demoDir,
    browser: launched.value,
    server: started.value,
    async restartServer(): Promise<ServeChild> {
      await host.server.stop();
      host.server = await startServeChild(serveOptions);
      return host.server;
    },
    async close(): Promise<void> {
      await Promise.all([host.browser.close(), host.server.stop()]);
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
  return host;
}

/**
 * Calls the contract over HTTP as the page does (same origin, the token cookie the page got
 * from `openUrl`); fails the test on an error reply.
 */
export async function callApi<T>(page: Page, name: string, payload: unknown): Promise<T> {
  const reply = await page.evaluate(
    async ([n, p]) => {
      const r = await fetch(`/api/${n}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(p) });
      return (await r.json()) as { ok: boolean; value?: unknown; error?: { message: string } };
    },
    [name, payload] as const,
  );
  assert.ok(reply.ok, `${name}: ${reply.error?.message}`);
  return reply.value as T;
}
