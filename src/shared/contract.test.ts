import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventNames, events, isRequestName, requestNames, requests } from './contract.ts';
import { validateRequest } from './validate.ts';

test('every request and event has a payload schema', () => {
  assert.ok(requestNames.length >= 3);
  for (const name of requestNames) assert.equal(typeof requests[name].payload.safeParse, 'function', name);
  for (const name of eventNames) assert.equal(typeof events[name].safeParse, 'function', name);
  assert.ok(requestNames.includes('app.status') && requestNames.includes('jobs.list'));
});

test('request names are `area.verb` and usable as URL paths and IPC channels', () => {
  for (const name of requestNames) assert.match(name, /^[a-z]+(\.[a-z][a-zA-Z]*)+$/);
});

test('isRequestName does not accept inherited keys', () => {
  assert.equal(isRequestName('toString'), false);
  assert.equal(isRequestName('__proto__'), false);
  assert.equal(isRequestName('app.status'), true);
});

test('a missing payload counts as {} for requests that take nothing', () => {
  const r = validateRequest('app.status', undefined);
  assert.ok(r.ok);
  assert.deepEqual(r.value.payload, {});
});

test('unknown requests are not_found', () => {
  const r = validateRequest('app.nope', {});
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'not_found');
  assert.match(r.error.message, /unknown request "app\.nope"/);
});

test('invalid payloads are bad_request with a message naming the field', () => {
  const r = validateRequest('jobs.cancel', { job: 42 });
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'bad_request');
  assert.match(r.error.message, /^invalid payload for "jobs\.cancel": job: /);
  assert.doesNotMatch(r.error.message, /\n/);
});

test('unknown keys are rejected, so typos show', () => {
  const r = validateRequest('jobs.list', { sates: ['running'] });
  assert.ok(!r.ok);
  assert.match(r.error.message, /unknown key "sates"/);
});

test('a non-object payload is rejected', () => {
  const r = validateRequest('jobs.list', 'running');
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'bad_request');
});

test('event schemas accept what jobs emit and reject garbage', () => {
  assert.ok(events['job.progress'].safeParse({ job: 'j', phase: 'encode', done: 5, total: 10, rate: 2.5, eta: 2 }).success);
  assert.ok(events['job.progress'].safeParse({ job: 'j', phase: 'encode', done: 5, total: null, rate: 0, eta: null }).success);
  assert.ok(!events['job.progress'].safeParse({ job: 'j', phase: 'encode', done: -1, total: 10, rate: 0, eta: null }).success);
  assert.ok(events['job.state'].safeParse({ job: 'j', kind: 'index', state: 'failed', error: 'disk full' }).success);
  assert.ok(!events['job.state'].safeParse({ job: 'j', kind: 'index', state: 'exploded' }).success);
  assert.ok(events.log.safeParse({ level: 'warn', message: 'x', time: 1 }).success);
});
