import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { GraphBuilder, valueInfo } from './onnx/builder.ts';
import { DataType, encodeModel } from './onnx/proto.ts';

import type { ProviderName } from '#shared/providers.ts';

export type { ProviderName };

export interface ProviderStatus {
  readonly name: ProviderName;
  /** True when a session with only this provider could be created and run here. */
  readonly available: boolean;
  /** Why it is not available (first line of onnxruntime's error), when it is not. */
  readonly reason?: string;
}

/** Providers to try on this platform, fastest first; cpu always last. */
export function platformProviders(platform: NodeJS.Platform = process.platform): ProviderName[] {
  if (platform === 'win32') return ['cuda', 'dml', 'webgpu', 'cpu'];
  if (platform === 'darwin') return ['coreml', 'webgpu', 'cpu'];
  return ['cuda', 'webgpu', 'cpu'];
}

let probeModel: Uint8Array | undefined;

/** A one-node model (y = x + x) used to check that a provider really runs. */
function tinyModel(): Uint8Array {
  if (!probeModel) {
    const b = new GraphBuilder('');
    b.node('Add', ['x', 'x'], ['y']);
    probeModel = encodeModel({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'probe',
        node: b.nodes,
        input: [valueInfo('x', DataType.FLOAT, [1])],
        output: [valueInfo('y', DataType.FLOAT, [1])],
      },
    });
  }
  return probeModel;
}

const cache = new Map<ProviderName, Promise<ProviderStatus>>();

const LINUX_LIB_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/lib/x86_64-linux-gnu',
  '/usr/local/lib',
];

/**
 * On Linux, onnxruntime's WebGPU provider runs on Vulkan; without the loader library its
 * probe only prints a warning to stderr and fails, so we say why up front instead.
 */
function missingPrerequisite(name: ProviderName): string | undefined {
  if (name !== 'webgpu' || process.platform !== 'linux') return undefined;
  const dirs = [...(process.env['LD_LIBRARY_PATH'] ?? '').split(':').filter(Boolean), ...LINUX_LIB_DIRS];
  return dirs.some((d) => fs.existsSync(path.join(d, 'libvulkan.so.1'))) ? undefined : 'Vulkan loader (libvulkan.so.1) is not installed';
}

async function probeOne(name: ProviderName): Promise<ProviderStatus> {
  const missing = missingPrerequisite(name);
  if (missing) return { name, available: false, reason: missing };
  // a missing provider library is expected here; keep onnxruntime from printing it as an error
  const level = ort.env.logLevel;
  ort.env.logLevel = 'fatal';
  try {
    const session = await ort.InferenceSession.create(tinyModel(), { executionProviders: [name], logSeverityLevel: 4 });
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array([1.5]), [1]) });
    await session.release();
    const y = out['y']?.data as Float32Array | undefined;
    if (!y || y[0] !== 3) return { name, available: false, reason: 'probe returned a wrong result' };
    return { name, available: true };
  } catch (e) {
    let reason = String((e as Error).message ?? e)
      .split('\n')[0]!
      .slice(0, 300);
    if (name === 'cuda' && /Failed to load shared library/.test(reason)) {
      reason = 'CUDA provider libraries are not installed (run `npm run setup:cuda`; needs CUDA 12 and cuDNN 9)';
    }
    return { name, available: false, reason };
  } finally {
    ort.env.logLevel = level;
  }
}

/**
 * Checks each provider this platform may have by running a tiny model on it alone.
 * Results are cached for the process: a provider does not appear or vanish while we run.
 */
export async function probeProviders(names: readonly ProviderName[] = platformProviders()): Promise<ProviderStatus[]> {
  return Promise.all(
    names.map((n) => {
      let p = cache.get(n);
      if (!p) {
        p = probeOne(n);
        cache.set(n, p);
      }
      return p;
    }),
  );
}

/**
 * The providers to hand onnxruntime for a session: the forced one alone when asked,
 * else the first available GPU provider followed by cpu.
 */
export async function chooseProviders(forced?: ProviderName): Promise<ProviderName[]> {
  if (forced) {
    const [s] = await probeProviders([forced]);
    if (!s?.available) throw new Error(`execution provider "${forced}" is not available here: ${s?.reason ?? 'unknown reason'}`);
    return forced === 'cpu' ? ['cpu'] : [forced, 'cpu'];
  }
  const all = await probeProviders();
  const gpu = all.find((s) => s.name !== 'cpu' && s.available);
  return gpu ? [gpu.name, 'cpu'] : ['cpu'];
}

/** onnxruntime-node's version string. */
export function onnxruntimeVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common ?? 'unknown';
}
