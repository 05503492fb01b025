// Types of scripts/build-cli.mjs for the TypeScript that imports it (bench/app-run.ts).

/** Where the CLI bundle is written, and the bundled CLI. */
export const cliOutDir: string;
export const cliBundle: string;
/** core's worker-thread entries ({ bundle name: source }), which workerEntry() looks for beside its caller. */
export const coreWorkerEntries: Readonly<Record<string, string>>;
/** True when the bundle is missing or older than a source file. */
export function cliBundleStale(): boolean;
/** Bundles `entryPoints` ({ name: source path from the repository root }) into `outDir`. */
export function bundle(entryPoints: Readonly<Record<string, string>>, outDir: string): Promise<void>;
/** Builds the CLI bundle. */
export function buildCli(): Promise<void>;
