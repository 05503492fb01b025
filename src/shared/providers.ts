/** Execution provider names as onnxruntime-node spells them: the one list core, the CLI and the contract use. */
export const providerNames = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'] as const;

/** One execution provider's name. */
export type ProviderName = (typeof providerNames)[number];

/** True when `name` is a provider this app knows. */
export function isProviderName(name: string): name is ProviderName {
  return (providerNames as readonly string[]).includes(name);
}
