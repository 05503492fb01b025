/**
 * Helpers for the end-to-end specs: start the serve host as a child process, launch
 * Debian's Chromium or Electron through playwright, and find the Electron binary.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { chromium, type Browser } from 'playwright';

/** The repository root (this file lives in e2e/). */
export const repoRoot = path.resolve(import.meta.dirname, '..');

/** Where specs save screenshots (gitignored). */
export const resultsDir = path.join(repoRoot, 'test-results');

/** A serve host running in a child process. */
export interface ServeChild {
  readonly url: string;
  /** `url` with `?token=`: opening it sets the token cookie the page's requests carry. */
  readonly openUrl: string;
  /** The token every request must carry (loopback too). */
  readonly token: string;
  readonly dataDir: string;
  /** Stops the host (SIGTERM) and resolves once it has exited. */
  stop(): Promise<void>;
}

/** A fresh temporary folder, removed by the caller. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `sae-explorer-${prefix}-`));
}

/**
 * Starts `sae-explorer serve --port 0 --json` and resolves when it has printed its URL
 * (the JSON line), i.e. once it is listening. `allowDirs` become `--allow-dir` grants.
 */
export async function startServeChild(options: {
  dataDir: string;
  host?: string;
  env?: NodeJS.ProcessEnv;
  allowDirs?: readonly string[];
}): Promise<ServeChild> {
  const args = ['--import', 'tsx', 'src/cli/index.ts', 'serve', '--port', '0', '--json', '--data', options.dataDir];
  if (options.host) args.push('--host', options.host);
  for (const dir of options.allowDirs ?? []) args.push('--allow-dir', dir);
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (s: string) => stderr.push(s));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const first = await new Promise<string>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve(line));
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before printing its URL: ${stderr.join('')}`)));
  });
  const info = JSON.parse(first) as { url: string; openUrl: string; token: string; dataDir: string };
  return { ...info, stop: () => stopChild(child, exited) };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await exited;
}

/** Debian's Chromium (playwright's own browsers cannot be downloaded here). */
export const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Launches headless Chromium with flags that keep it quiet and offline. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * The Electron executable when its binary is installed, else undefined. Reads
 * node_modules/electron/path.txt instead of require('electron'), which would start a download.
 */
export function electronBinary(): string | undefined {
  const dir = path.join(repoRoot, 'node_modules', 'electron');
  try {
    const rel = fs.readFileSync(path.join(dir, 'path.txt'), 'utf8').trim();
    const exe = path.join(dir, 'dist', rel);
    return rel && fs.existsSync(exe) ? exe : undefined;
  } catch {
    return undefined;
  }
}
