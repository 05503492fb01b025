import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cgroupQuotaCpus, intraOpThreads, parseCpuList } from './cpu-threads.ts';

/** A fake root with /proc/self/status, sysfs CPU topology ([package, core] per CPU), an optional v2 root cpu.max and other files. */
function fakeRoot(
  allowed: string,
  topology: readonly (readonly [number, number])[],
  cpuMax?: string,
  files: Record<string, string> = {},
): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cpu-threads-'));
  fs.mkdirSync(path.join(root, 'proc/self'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'proc/self/status'),
    `Name:\tnode\nCpus_allowed:\tff\nCpus_allowed_list:\t${allowed}\nVoluntary_ctxt_switches:\t3\n`,
  );
  topology.forEach(([pkg, core], cpu) => {
    const dir = path.join(root, `sys/devices/system/cpu/cpu${cpu}/topology`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'core_id'), `${core}\n`);
    fs.writeFileSync(path.join(dir, 'physical_package_id'), `${pkg}\n`);
  });
  if (cpuMax !== undefined) {
    fs.mkdirSync(path.join(root, 'sys/fs/cgroup'), { recursive: true });
    fs.writeFileSync(path.join(root, 'sys/fs/cgroup/cpu.max'), cpuMax);
  }
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

test('parseCpuList reads the kernel list format and refuses anything else', () => {
  assert.deepEqual(parseCpuList('0-3,8,10-11\n'), [0, 1, 2, 3, 8, 10, 11]);
  assert.deepEqual(parseCpuList('5'), [5]);
  assert.equal(parseCpuList('3-1'), undefined);
  assert.equal(parseCpuList('0-x'), undefined);
});

test('SMT siblings count once, per package, among the CPUs the process may use', { skip: process.platform !== 'linux' }, () => {
  // 2 packages × 2 cores × 2 threads: CPUs 0–3 on package 0 (cores 0,0,1,1), 4–7 on package 1
  const smt: [number, number][] = [
    [0, 0],
    [0, 0],
    [0, 1],
    [0, 1],
    [1, 0],
    [1, 0],
    [1, 1],
    [1, 1],
  ];
  assert.equal(intraOpThreads({}, fakeRoot('0-7', smt)), 4);
  assert.equal(intraOpThreads({}, fakeRoot('0-1', smt)), 1, 'two siblings of one core');
  assert.equal(intraOpThreads({}, fakeRoot('0,2,4', smt)), 3);
  // the CI VM's shape: 2 CPUs, each a core of its own
  assert.equal(
    intraOpThreads(
      {},
      fakeRoot('0-1', [
        [0, 0],
        [0, 1],
      ]),
    ),
    2,
  );
});

test('a cgroup CPU quota caps the count; "max" does not', { skip: process.platform !== 'linux' }, () => {
  const big = Array.from({ length: 16 }, (_, i) => [0, i] as [number, number]);
  assert.equal(intraOpThreads({}, fakeRoot('0-15', big, '200000 100000\n')), 2);
  assert.equal(intraOpThreads({}, fakeRoot('0-15', big, '150000 100000\n')), 2, '1.5 CPUs of quota round up');
  assert.equal(intraOpThreads({}, fakeRoot('0-15', big, 'max 100000\n')), 16);
  assert.equal(cgroupQuotaCpus(fakeRoot('0', [[0, 0]], '50000 100000')), 0.5);
});

test("the quota is read from the process's own cgroup and its parents, v2 and v1", { skip: process.platform !== 'linux' }, () => {
  const big = Array.from({ length: 16 }, (_, i) => [0, i] as [number, number]);
  // v2, a pod's limit on the parent of the container's cgroup (which sets none)
  const pod = fakeRoot('0-15', big, undefined, {
    'proc/self/cgroup': '0::/kubepods/pod1/ctr\n',
    'sys/fs/cgroup/kubepods/pod1/cpu.max': '300000 100000\n',
    'sys/fs/cgroup/kubepods/pod1/ctr/cpu.max': 'max 100000\n',
  });
  assert.equal(cgroupQuotaCpus(pod), 3);
  assert.equal(intraOpThreads({}, pod), 3);
  // the tighter of a child's and a parent's limits
  const nested = fakeRoot('0-15', big, undefined, {
    'proc/self/cgroup': '0::/a/b\n',
    'sys/fs/cgroup/a/cpu.max': '800000 100000\n',
    'sys/fs/cgroup/a/b/cpu.max': '250000 100000\n',
  });
  assert.equal(cgroupQuotaCpus(nested), 2.5);
  // v1 (cpu,cpuacct controller, Docker's layout); -1 is no limit
  const docker = fakeRoot('0-15', big, undefined, {
    'proc/self/cgroup': '12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n',
    'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '150000\n',
    'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000\n',
  });
  assert.equal(cgroupQuotaCpus(docker), 1.5);
  assert.equal(intraOpThreads({}, docker), 2);
  const unlimited = fakeRoot('0-15', big, undefined, {
    'proc/self/cgroup': '1:cpu:/\n',
    'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n',
    'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
  });
  assert.equal(cgroupQuotaCpus(unlimited), undefined);
  assert.equal(intraOpThreads({}, unlimited), 16);
});

test(
  "unreadable topology leaves ONNX Runtime's own count; the environment overrides everything",
  { skip: process.platform !== 'linux' },
  () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'cpu-threads-'));
    assert.equal(intraOpThreads({}, empty), undefined);
    assert.equal(intraOpThreads({ SAE_EXPLORER_CPU_THREADS: '3' }, empty), 3);
    assert.throws(
      () => intraOpThreads({ SAE_EXPLORER_CPU_THREADS: 'two' }, empty),
      /SAE_EXPLORER_CPU_THREADS must be a whole number ≥ 1, not "two"/,
    );
  },
);

test('on this machine the count matches the kernel topology of the allowed CPUs', { skip: process.platform !== 'linux' }, () => {
  const n = intraOpThreads({});
  assert.ok(n !== undefined && n >= 1 && n <= os.availableParallelism(), `got ${n} for ${os.availableParallelism()} usable CPUs`);
});
