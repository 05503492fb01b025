import type { AppStatus } from '#shared/contract.ts';
import { dataOption, defineCommand } from '../command.ts';
import { request, withCore } from '../core.ts';

/** `status`: the facts of the app's status panel (the `app.status` request). */
export const statusCommand = defineCommand({
  name: 'status',
  summary: 'Show versions, execution providers and the data folder',
  usage: '[--json] [--data DIR]',
  description: 'Probes each execution provider this platform may have by running a tiny model on it.',
  options: { data: dataOption },
  json: true,
  async run({ values }) {
    const status = await withCore(values.data, (core) => request(core, 'app.status'), { create: true });
    return { data: status, text: formatStatus(status) };
  },
});

/** The human rendering of app.status. */
export function formatStatus(s: AppStatus): string {
  const width = Math.max(...s.providers.map((p) => p.name.length)) + 2;
  const providers = s.providers.map((p, i) => {
    const label = i === 0 ? 'providers' : '';
    const state = p.available ? 'available' : 'unavailable';
    return `${label.padEnd(14)}${p.name.padEnd(width)}${state.padEnd(13)}${p.reason ?? ''}`.trimEnd();
  });
  const runtime = [`node ${s.versions.node}`, s.versions.electron && `electron ${s.versions.electron}`].filter(Boolean).join(', ');
  return [
    `SAE Explorer ${s.appVersion}`,
    `${'onnxruntime'.padEnd(14)}${s.onnxruntimeVersion}`,
    `${'active'.padEnd(14)}${s.activeProvider}`,
    `${'cpu threads'.padEnd(14)}${s.cpuThreads ?? "onnxruntime's own count"}`,
    ...providers,
    `${'data folder'.padEnd(14)}${s.dataDir} (${s.dataDirSource})`,
    `${'sqlite'.padEnd(14)}${s.sqlite.version ?? `unavailable: ${s.sqlite.error ?? 'unknown'}`}`,
    `${'platform'.padEnd(14)}${s.platform} ${s.arch}, ${runtime}`,
  ].join('\n');
}
