import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AppEvent } from '#shared/contract.ts';
import { EventBus } from './events.ts';
import { JobRegistry } from './jobs.ts';

function setup() {
  const bus = new EventBus();
  let now = 1_000;
  const jobs = new JobRegistry(bus, { now: () => now, progressIntervalMs: 250 });
  const seen: AppEvent[] = [];
  bus.onAny((e) => seen.push(e));
  return { bus, jobs, seen, tick: (ms: number) => (now += ms) };
}

test('a job goes queued → running → done, with progress events carrying rate and eta', async () => {
  const { jobs, seen, tick } = setup();
  const info = jobs.start('index', 'Index demo', async (ctx) => {
    ctx.progress('encode', 0, 100);
    tick(1000);
    ctx.progress('encode', 50, 100);
    tick(100); // within the throttle interval: recorded, not sent
    ctx.progress('encode', 60, 100);
    tick(900);
    ctx.progress('encode', 100, 100);
  });
  assert.equal(info.state, 'running');
  const final = await jobs.wait(info.id);
  assert.equal(final.state, 'done');
  assert.equal(typeof final.finishedAt, 'number');

  const states = seen.filter((e) => e.name === 'job.state').map((e) => e.data.state);
  assert.deepEqual(states, ['queued', 'running', 'done']);
  const progress = seen.flatMap((e) => (e.name === 'job.progress' ? [e.data] : []));
  assert.deepEqual(
    progress.map((p) => p.done),
    [0, 50, 100],
  );
  assert.deepEqual(progress[1], { job: info.id, phase: 'encode', done: 50, total: 100, rate: 50, eta: 1 });
  assert.equal(progress[2]?.eta, 0);
});

test('a throwing job fails with a one-line error and a log event', async () => {
  const { jobs, seen } = setup();
  const info = jobs.start('download', 'Fetch', async () => {
    throw new Error('host unreachable\nstack...');
  });
  const final = await jobs.wait(info.id);
  assert.equal(final.state, 'failed');
  assert.equal(final.error, 'host unreachable');
  assert.ok(seen.some((e) => e.name === 'log' && e.data.level === 'error' && e.data.source === info.id));
});

test('cancel aborts the signal and the job ends cancelled', async () => {
  const { jobs, bus } = setup();
  const info = jobs.start('eval', 'Evaluate', (ctx) => {
    return new Promise<void>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
  });
  const cancelled = bus.next('job.state', (d) => d.job === info.id && d.state === 'cancelled');
  jobs.cancel(info.id);
  await cancelled;
  assert.equal(jobs.get(info.id)?.state, 'cancelled');
  assert.throws(() => jobs.cancel('nope'), /no job "nope"/);
});

test('list is newest first and filters by state', async () => {
  const { jobs } = setup();
  const a = jobs.start('k', 'A', async () => {});
  await jobs.wait(a.id);
  const b = jobs.start('k', 'B', (ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve())));
  assert.deepEqual(
    jobs.list().map((j) => j.title),
    ['B', 'A'],
  );
  assert.deepEqual(
    jobs.list(['done']).map((j) => j.title),
    ['A'],
  );
  await jobs.cancelAll();
  assert.equal(jobs.get(b.id)?.state, 'cancelled');
});
