import fs from 'node:fs';
import path from 'node:path';

/**
 * How many threads ONNX Runtime's CPU kernels get in every session the app opens.
 *
 * Left at 0, ONNX Runtime uses "the number of physical cores" as its own CPU detection sees
 * them, and on a VM that can be far fewer than the kernel gives this process: on the 2-core
 * AMD EPYC CI VM it ran every session on one thread (MatMul 768×24576 at 142 GFLOP/s with CPU
 * time = wall time; 244 GFLOP/s with 2 threads; capture 1,157 → 1,937 tokens/s, bit-identical
 * outputs). On Linux we count the physical cores ourselves from the kernel's view: the distinct
 * (package, core) pairs among the CPUs this process may run on (sysfs topology, SMT siblings
 * once), capped by a cgroup CPU quota, v2 or v1 (a container limited to 2 CPUs on a 64-core
 * host). Other systems keep ONNX Runtime's count. SAE_EXPLORER_CPU_THREADS=n overrides both.
 */
export function intraOpThreads(env: NodeJS.ProcessEnv = process.env, root = '/'): number | undefined {
  const override = env['SAE_EXPLORER_CPU_THREADS'];
  if (override !== undefined && override !== '') {
    const n = Number(override);
    if (!Number.isInteger(n) || n < 1) throw new Error(`SAE_EXPLORER_CPU_THREADS must be a whole number ≥ 1, not "${override}"`);
    return n;
  }
  if (process.platform !== 'linux') return undefined;
  const allowed = allowedCpus(root);
  if (!allowed) return undefined;
  const cores = physicalCores(allowed, root);
  if (cores === undefined) return undefined;
  const quota = cgroupQuotaCpus(root);
  return Math.max(1, quota === undefined ? cores : Math.min(cores, Math.ceil(quota)));
}

let cached: number | undefined | null = null;

/** The session options that carry {@link intraOpThreads} (read once per thread that opens sessions). */
export function cpuThreadOptions(): { intraOpNumThreads?: number } {
  if (cached === null) cached = intraOpThreads();
  return cached === undefined ? {} : { intraOpNumThreads: cached };
}

/** A kernel CPU list ("0-3,8,10-11") as CPU numbers; undefined when it does not parse. */
export function parseCpuList(list: string): number[] | undefined {
  const out: number[] = [];
  for (const part of list.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return undefined;
    for (let c = lo; c <= hi; c++) out.push(c);
  }
  return out;
}

/** The CPUs this process may run on (/proc/self/status Cpus_allowed_list). */
function allowedCpus(root: string): number[] | undefined {
  const status = readText(path.join(root, 'proc/self/status'));
  const line = status && /^Cpus_allowed_list:\s*(.+)$/m.exec(status);
  return line ? parseCpuList(line[1]!) : undefined;
}

/** Distinct (package, core) pairs among `cpus`; undefined when a CPU's topology is unreadable. */
function physicalCores(cpus: readonly number[], root: string): number | undefined {
  const seen = new Set<string>();
  for (const cpu of cpus) {
    const dir = path.join(root, `sys/devices/system/cpu/cpu${cpu}/topology`);
    const core = readText(path.join(dir, 'core_id'));
    const pkg = readText(path.join(dir, 'physical_package_id'));
    if (core === undefined || pkg === undefined) return undefined;
    seen.add(`${pkg.trim()}:${core.trim()}`);
  }
  return seen.size || undefined;
}

/**
 * The CPU quota of this process's cgroup in CPUs (v2 cpu.max "200000 100000" → 2; v1
 * cpu.cfs_quota_us / cpu.cfs_period_us), the tightest along the path from its cgroup up to the
 * hierarchy's root (a limit on a parent binds its children); undefined when none is set.
 */
export function cgroupQuotaCpus(root = '/'): number | undefined {
  const cgroups = readText(path.join(root, 'proc/self/cgroup')) ?? '0::/\n';
  let quota: number | undefined;
  const tighter = (q: number | undefined): void => void (q !== undefined && (quota === undefined || q < quota) && (quota = q));
  for (const line of cgroups.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [controllers, own] = [m[1]!.split(','), m[2]!];
    if (m[1] === '') {
      // v2: the unified hierarchy (alone, or beside v1 under unified/)
      for (const mount of ['sys/fs/cgroup', 'sys/fs/cgroup/unified'])
        for (const dir of upFrom(path.join(root, mount), own)) tighter(v2Quota(readText(path.join(dir, 'cpu.max'))));
    } else if (controllers.includes('cpu')) {
      for (const mount of ['sys/fs/cgroup/cpu', 'sys/fs/cgroup/cpu,cpuacct'])
        for (const dir of upFrom(path.join(root, mount), own))
          tighter(v1Quota(readText(path.join(dir, 'cpu.cfs_quota_us')), readText(path.join(dir, 'cpu.cfs_period_us'))));
    }
  }
  return quota;
}

/** `mount`/`own` and each folder above it up to `mount` (one that does not exist, as in a container's own view, reads as no limit). */
function upFrom(mount: string, own: string): string[] {
  const dirs: string[] = [];
  for (let rel = path.posix.normalize(`/${own}`); ; rel = path.posix.dirname(rel)) {
    dirs.push(path.join(mount, rel));
    if (rel === '/') return dirs;
  }
}

function v2Quota(max: string | undefined): number | undefined {
  const m = max && /^(\d+)\s+(\d+)/.exec(max.trim());
  return m && Number(m[2]) > 0 ? Number(m[1]) / Number(m[2]) : undefined;
}

function v1Quota(quota: string | undefined, period: string | undefined): number | undefined {
  const q = Number(quota?.trim());
  const p = Number(period?.trim());
  return quota !== undefined && q > 0 && p > 0 ? q / p : undefined;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
