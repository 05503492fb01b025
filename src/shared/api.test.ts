import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createApi, type Transport } from './api.ts';
import type { AppEvent } from './contract.ts';

function fakeTransport() {
  const sent: { name: string; payload: unknown }[] = [];
  let emit: ((e: AppEvent) => void) | undefined;
  let subscriptions = 0;
  const transport: Transport = {
    request: async (name, payload) => {
      sent.push({ name, payload });
      if (name === 'jobs.cancel') throw new Error('channel closed');
      return { ok: true, value: [] } as never;
    },
    subscribe: (listener) => {
      subscriptions++;
      emit = listener;
      return () => {
        subscriptions--;
        emit = undefined;
      };
    },
  };
  return { transport, sent, emit: (e: AppEvent) => emit?.(e), subscriptions: () => subscriptions };
}

test('requests pass name and payload through; a missing payload stays undefined', async () => {
  const t = fakeTransport();
  const api = createApi(t.transport);
  const reply = await api.request('jobs.list');
  assert.deepEqual(reply, { ok: true, value: [] });
  await api.request('jobs.list', { states: ['running'] });
  assert.deepEqual(t.sent, [
    { name: 'jobs.list', payload: undefined },
    { name: 'jobs.list', payload: { states: ['running'] } },
  ]);
});

test('a transport that throws becomes a transport error reply, never a rejection', async () => {
  const api = createApi(fakeTransport().transport);
  const reply = await api.request('jobs.cancel', { job: 'x' });
  assert.deepEqual(reply, { ok: false, error: { code: 'transport', message: 'channel closed' } });
});

test('events fan out by name over one subscription, dropped when the last listener goes', () => {
  const t = fakeTransport();
  const api = createApi(t.transport);
  const logs: string[] = [];
  const states: string[] = [];
  const offLog = api.on('log', (d) => logs.push(d.message));
  const offState = api.on('job.state', (d) => states.push(d.state));
  assert.equal(t.subscriptions(), 1);
  t.emit({ name: 'log', data: { level: 'info', message: 'hello', time: 0 } });
  t.emit({ name: 'job.state', data: { job: 'a', kind: 'k', state: 'done' } });
  assert.deepEqual(logs, ['hello']);
  assert.deepEqual(states, ['done']);
  offLog();
  assert.equal(t.subscriptions(), 1);
  offState();
  assert.equal(t.subscriptions(), 0);
});
