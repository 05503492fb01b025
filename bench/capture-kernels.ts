/**
 * Where capture's time goes, by ONNX Runtime's own profiler: the capture graph run over the
 * bench's calls with every kernel timed, summed by op type. The other kernels' time bounds
 * what capture can reach against the MatMul limit (bench/matmul-limit.ts): were every MatMul
 * as fast as the limit's, a token would still take the limit's time plus theirs (norms, GELU,
 * softmax, TopK, adds, copies), so capture ≤ limit time ÷ (limit time + other kernels' time).
 * Profiling adds a few µs per kernel, which counts against the other kernels.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCapture } from '../src/core/model/capture-run.ts';
import type { ProviderName } from '../src/core/model/providers.ts';
import { ModelRunner } from '../src/core/model/runner.ts';

/** Ops that run the limit's products: the weight MatMuls and attention's score and value products. */
const MATMUL_OPS = new Set(['MatMul', 'FusedMatMul', 'Gemm']);

/** Kernel time of the capture graph by op type, in ms per 1,000 tokens, and the MatMuls' share of it. */
export interface CaptureKernels {
  readonly matmulShare: number;
  /** Kernel time of every op that is not a MatMul, ms per 1,000 tokens. */
  readonly otherMsPerKiloToken: number;
  readonly msPerKiloToken: Record<string, number>;
}

/** The most capture can reach as a share of a limit of `limitTokensPerSecond`, given the other kernels' time. */
export function captureCeiling(kernels: CaptureKernels, limitTokensPerSecond: number): number {
  const limitMs = 1e6 / limitTokensPerSecond; // ms per 1,000 tokens at the limit
  return limitMs / (limitMs + kernels.otherMsPerKiloToken);
}

/** One kernel event of ONNX Runtime's profile (the fields read here). */
interface ProfileEvent {
  readonly cat?: string;
  readonly name?: string;
  readonly dur?: number;
  readonly args?: { readonly op_name?: string };
}

/** Profiles capture graph `file` over `calls` (each call's rows `rowsPerCall` at a time) at top-`K`. */
export async function profileCaptureKernels(
  file: string,
  providers: readonly ProviderName[],
  config: Record<string, unknown>,
  calls: readonly (readonly (readonly number[])[])[],
  rowsPerCall: number,
  K: number,
): Promise<CaptureKernels> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capture-profile-'));
  try {
    const runner = await ModelRunner.create(file, providers, { config, profileFilePrefix: path.join(dir, 'capture') });
    let tokens = 0;
    try {
      for (const rows of calls)
        for (let i = 0; i < rows.length; i += rowsPerCall) {
          const part = rows.slice(i, i + rowsPerCall);
          await runCapture(runner, part, K, false);
          tokens += part.length * (part[0]?.length ?? 0);
        }
      runner.endProfiling();
    } finally {
      await runner.release();
    }
    const profile = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!profile) throw new Error(`ONNX Runtime wrote no profile in ${dir}`);
    // the profile's own format: a JSON array of trace events
    const events = JSON.parse(fs.readFileSync(path.join(dir, profile), 'utf8')) as ProfileEvent[];
    const byOp = new Map<string, number>();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.op_name) continue;
      byOp.set(e.args.op_name, (byOp.get(e.args.op_name) ?? 0) + (e.dur ?? 0));
    }
    const total = [...byOp.values()].reduce((a, b) => a + b, 0);
    const matmul = [...byOp].filter(([op]) => MATMUL_OPS.has(op)).reduce((a, [, us]) => a + us, 0);
    const msPerKiloToken = Object.fromEntries(
      [...byOp].sort((a, b) => b[1] - a[1]).map(([op, us]) => [op, Number(((us / 1000 / tokens) * 1000).toFixed(2))]),
    );
    return { matmulShare: total ? matmul / total : 0, otherMsPerKiloToken: (total - matmul) / tokens, msPerKiloToken };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
