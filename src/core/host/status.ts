import { cpuThreadOptions } from '../model/cpu-threads.ts';
import { chooseProviders, onnxruntimeVersion, probeProviders } from '../model/providers.ts';
import type { AppStatus, HostKind } from '#shared/contract.ts';
import type { DataDirChoice } from '../kernel/data-dir.ts';
import { sqliteInfo } from '../kernel/sqlite.ts';
import { appVersion } from '../kernel/version.ts';

/**
 * Gathers the facts of the status panel. Providers are probed by running a tiny model on
 * each (cached for the process by probeProviders).
 */
export async function appStatus(host: HostKind, data: DataDirChoice): Promise<AppStatus> {
  const [providers, chosen] = await Promise.all([probeProviders(), chooseProviders()]);
  const { node, electron, chrome } = process.versions;
  return {
    appVersion,
    host,
    onnxruntimeVersion: onnxruntimeVersion(),
    providers,
    activeProvider: chosen[0] ?? 'cpu',
    cpuThreads: cpuThreadOptions().intraOpNumThreads ?? null,
    dataDir: data.dir,
    dataDirSource: data.source,
    platform: process.platform,
    arch: process.arch,
    versions: { node, ...(electron ? { electron } : {}), ...(chrome ? { chrome } : {}) },
    sqlite: sqliteInfo(),
  };
}
