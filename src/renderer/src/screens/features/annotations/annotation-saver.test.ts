import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Annotation } from '#shared/annotation-types.ts';
import { AnnotationSaver, refusedField, type AnnotationPatch, type SaveReply, type SaveStatus } from './annotation-saver.ts';

/** Hand-driven timers and a store whose save can be made to fail or hang. */
function harness() {
  const timers = new Map<number, { fn: () => void; ms: number }>();
  let next = 1;
  const sent: AnnotationPatch[] = [];
  const statuses: SaveStatus[] = [];
  const pendingLog: (AnnotationPatch | null)[] = [];
  let stored: Annotation = { feature: 7, label: '', notes: '', tags: [], starred: false, lists: [], updatedAt: 0 };
  let failWith: { message: string; code?: string } | null = null;
  let hold: Promise<void> | null = null;
  const saver = new AnnotationSaver({
    delay: 100,
    setTimer: (fn, ms) => {
      const id = next++;
      timers.set(id, { fn, ms });
      return id;
    },
    clearTimer: (id) => void timers.delete(id as number),
    onStatus: (s) => statuses.push(s),
    onPending: (p) => pendingLog.push(p && { ...p }),
    now: () => 42,
    save: async (patch): Promise<SaveReply> => {
      sent.push(patch);
      if (hold) await hold;
      if (failWith) return { ok: false, error: failWith };
      stored = { ...stored, ...patch, updatedAt: stored.updatedAt + 1 };
      return { ok: true, value: stored };
    },
  });
  /** Fires the one pending timer (there is at most one) and lets the save settle. */
  const tick = async (): Promise<number> => {
    assert.equal(timers.size, 1, 'exactly one timer pending');
    const [id, t] = [...timers.entries()][0]!;
    timers.delete(id);
    t.fn();
    await new Promise((r) => setImmediate(r));
    return t.ms;
  };
  return {
    saver,
    sent,
    statuses,
    pendingLog,
    timers,
    tick,
    stored: () => stored,
    fail: (message: string | null, code?: string) => (failWith = message === null ? null : { message, ...(code ? { code } : {}) }),
    holdSaves: () => {
      let release!: () => void;
      hold = new Promise((r) => (release = r));
      return () => {
        hold = null;
        release();
      };
    },
  };
}

describe('annotation saver', () => {
  test('typing is debounced into one save of the merged fields', async () => {
    const h = harness();
    h.saver.change({ label: 'y' });
    h.saver.change({ label: 'ye' });
    h.saver.change({ label: 'years', notes: 'n' });
    assert.equal(h.sent.length, 0, 'nothing sent while typing');
    assert.equal(await h.tick(), 100);
    assert.deepEqual(h.sent, [{ label: 'years', notes: 'n' }]);
    assert.deepEqual(h.statuses.at(-1), { state: 'saved', at: 42 });
    assert.equal(h.saver.dirty, false);
    assert.equal(h.pendingLog.at(-1), null, 'the backup is cleared once saved');
  });

  test('flush saves at once (blur, unmount) and cancels the timer', async () => {
    const h = harness();
    h.saver.change({ starred: true });
    await h.saver.flush();
    assert.deepEqual(h.sent, [{ starred: true }]);
    assert.equal(h.timers.size, 0);
    assert.equal(h.stored().starred, true);
    await h.saver.flush();
    assert.equal(h.sent.length, 1, 'flushing with nothing pending sends nothing');
  });

  test('changes made while a save is in flight are saved after it, in order', async () => {
    const h = harness();
    const release = h.holdSaves();
    h.saver.change({ label: 'a' });
    const first = h.saver.flush();
    h.saver.change({ label: 'ab', tags: ['t'] });
    assert.equal(h.saver.dirty, true);
    release();
    await first;
    assert.deepEqual(h.statuses.at(-1), { state: 'pending' }, 'more to save');
    await h.tick();
    assert.deepEqual(h.sent, [{ label: 'a' }, { label: 'ab', tags: ['t'] }]);
    assert.equal(h.stored().label, 'ab');
    assert.deepEqual(h.statuses.at(-1), { state: 'saved', at: 42 });
  });

  test('dispose stops retries', async () => {
    const h = harness();
    h.saver.change({ label: 'x' });
    h.saver.dispose();
    assert.equal(h.timers.size, 0);
    h.saver.change({ label: 'y' });
    assert.equal(h.timers.size, 0, 'no timers after dispose');
    await h.saver.flush();
    assert.deepEqual(h.sent, [{ label: 'y' }], 'flush still saves');
  });
});

describe('annotation saver: failed saves', () => {
  test('a failed save keeps its fields, lets newer typing win, and retries with backoff', async () => {
    const h = harness();
    h.fail('annotation.set is being built');
    h.saver.change({ label: 'old', notes: 'keep me' });
    await h.tick();
    assert.deepEqual(h.statuses.at(-1), { state: 'error', message: 'annotation.set is being built', retrying: true, field: null });
    assert.deepEqual(h.pendingLog.at(-1), { label: 'old', notes: 'keep me' }, 'still backed up');
    assert.equal(await h.tick(), 400, 'first retry after 4× the delay');
    assert.equal(await h.tick(), 800, 'then backs off');
    h.saver.change({ label: 'new' });
    h.fail(null);
    assert.equal(await h.tick(), 100, 'typing again saves after the normal delay');
    assert.deepEqual(h.sent.at(-1), { label: 'new', notes: 'keep me' });
    assert.equal(h.stored().notes, 'keep me');
    assert.equal(h.stored().label, 'new');
    assert.equal(h.saver.dirty, false);
  });

  test('a save refused as invalid (bad_request) is not retried: it waits, kept, for the next change', async () => {
    const h = harness();
    const refused = 'invalid payload for "annotation.set": tags.0: Too big: expected string to have <=64 characters';
    h.fail(refused, 'bad_request');
    const long = 'x'.repeat(65);
    h.saver.change({ label: 'kept', tags: [long] });
    await h.tick();
    assert.deepEqual(h.statuses.at(-1), { state: 'error', message: refused, retrying: false, field: 'tags' });
    assert.equal(h.timers.size, 0, 'no retry is scheduled');
    assert.deepEqual(h.pendingLog.at(-1), { label: 'kept', tags: [long] }, 'the draft is kept');
    assert.equal(h.saver.dirty, true);
    assert.equal(h.sent.length, 1);
    // leaving the field sends it once more, and again it is not retried
    await h.saver.flush();
    assert.equal(h.sent.length, 2);
    assert.equal(h.timers.size, 0);
    // fixing the field saves everything that was kept
    h.fail(null);
    h.saver.change({ tags: ['short'] });
    assert.equal(await h.tick(), 100);
    assert.deepEqual(h.sent.at(-1), { label: 'kept', tags: ['short'] });
    assert.deepEqual(h.statuses.at(-1), { state: 'saved', at: 42 });
    assert.equal(h.stored().label, 'kept');
    assert.equal(h.saver.dirty, false);
  });

  test('other failures (unavailable, internal) still retry', async () => {
    const h = harness();
    h.fail('the annotations database is busy', 'unavailable');
    h.saver.change({ notes: 'n' });
    await h.tick();
    assert.deepEqual(h.statuses.at(-1), { state: 'error', message: 'the annotations database is busy', retrying: true, field: null });
    assert.equal(h.timers.size, 1, 'a retry is scheduled');
  });

  test('refusedField: the field the message names, else the only field sent', () => {
    assert.equal(refusedField('invalid payload for "annotation.set": tags: Too big', { tags: [], label: 'x' }), 'tags');
    assert.equal(refusedField('invalid payload for "annotation.set": label: Too big', { label: 'x' }), 'label');
    assert.equal(refusedField('feature 9999 is out of range', { notes: 'x' }), 'notes');
    assert.equal(refusedField('feature 9999 is out of range', { notes: 'x', label: 'y' }), null);
  });

  test('a save that throws is treated as failed, not lost', async () => {
    const timers: (() => void)[] = [];
    const statuses: SaveStatus[] = [];
    const saver = new AnnotationSaver({
      delay: 10,
      setTimer: (fn) => timers.push(fn),
      clearTimer: () => {},
      onStatus: (s) => statuses.push(s),
      save: () => Promise.reject(new Error('connection lost')),
    });
    saver.change({ notes: 'x' });
    await saver.flush();
    assert.deepEqual(statuses.at(-1), { state: 'error', message: 'connection lost', retrying: true, field: null });
    assert.equal(saver.dirty, true);
  });
});
