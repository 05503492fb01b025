import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobProgress } from '#shared/contract.ts';
import { EventBus } from './events.ts';
import { JobRegistry } from './jobs.ts';
import { RateMeter } from './rate-meter.ts';

test('a job whose phase comes back (index → merge → index, pause → resume) keeps a sane rate', async () => {
  const bus = new EventBus();
  let now = 0;
  const jobs = new JobRegistry(bus, { now: () => now, progressIntervalMs: 0 });
  const rates: JobProgress[] = [];
  bus.onAny((e) => {
    if (e.name === 'job.progress') rates.push(e.data);
  });
  const info = jobs.start('index', 'Index', async (ctx) => {
    // 100 tokens/s for 10 s, counting this run's tokens, as the index job reports them
    for (let s = 0; s <= 10; s++) {
      ctx.progress('index', s * 100, 5000);
      now += 1000;
    }
    ctx.progress('merge', 1000, null);
    now += 3;
    ctx.progress('paused', 1000, 5000);
    now += 60_000;
    // back: `done` still counts from the start of the run
    ctx.progress('index', 1000, 5000);
    now += 2;
    ctx.progress('index', 1001, 5000);
    now += 1000;
    ctx.progress('index', 1100, 5000);
  });
  await jobs.wait(info.id);
  const index = rates.filter((r) => r.phase === 'index');
  assert.equal(index[10]?.rate, 100);
  assert.ok(
    rates.every((r) => r.rate <= 200),
    `every rate is about 100/s: ${rates.map((r) => Math.round(r.rate)).join(' ')}`,
  );
  assert.equal(Math.round(index.at(-1)!.rate), 100, 'measured over the phase since it came back');
  assert.ok(index.at(-1)!.eta! > 0 && index.at(-1)!.eta! < 100);
});

test('RateMeter: units per second over recent reports of one phase', () => {
  const m = new RateMeter();
  assert.equal(m.update('a', 0, 0), 0);
  assert.equal(m.update('a', 10, 100), 0, 'too short a span to say');
  assert.equal(m.update('a', 100, 1000), 100);
  // a slow minute later the window has moved on: the rate is the recent one
  for (let t = 2000; t <= 60_000; t += 1000) m.update('a', 100 + (t - 1000) / 100, t);
  assert.equal(Math.round(m.update('a', 100 + 600, 61_000)), 10);
  assert.equal(m.update('b', 5, 61_001), 0, 'a new phase starts afresh');
  assert.equal(m.update('b', 2, 62_000), 0, 'done going backwards starts afresh');
});
