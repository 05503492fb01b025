/**
 * Saves a feature's annotation as the user types: changes merge into one pending patch,
 * sent `delay` ms after the last keystroke (or at once on flush: blur, unmount, leaving the
 * page). A failed save keeps its fields pending (newer typing wins) and retries with
 * backoff, so nothing typed is dropped — except a save core refused as invalid
 * (`bad_request`): sending it again would be refused again, so it waits, still pending,
 * for the user's next change. Pure: timers and the request are injected.
 */
import type { Annotation } from '#shared/annotation-types.ts';
import { errorMessage } from '#shared/error-message.ts';

/** The fields of `annotation.set` besides the feature. */
export interface AnnotationPatch {
  label?: string;
  notes?: string;
  tags?: string[];
  starred?: boolean;
  lists?: string[];
}

/** Where saving stands, for the "saved" indicator. */
export type SaveStatus =
  | { readonly state: 'idle' }
  | { readonly state: 'pending' }
  | { readonly state: 'saving' }
  | { readonly state: 'saved'; readonly at: number }
  | {
      readonly state: 'error';
      readonly message: string;
      /** False when core refused the values (`bad_request`): no retry until they change. */
      readonly retrying: boolean;
      /** The field core refused, when its message names one. */
      readonly field: keyof AnnotationPatch | null;
    };

/** A request's answer, as api.request gives it. */
export type SaveReply =
  | { readonly ok: true; readonly value: Annotation }
  | { readonly ok: false; readonly error: { readonly code?: string; readonly message: string } };

const patchFields = ['label', 'notes', 'tags', 'starred', 'lists'] as const satisfies readonly (keyof AnnotationPatch)[];

/**
 * The field a `bad_request` is about: the one its message names after the request
 * (`invalid payload for "annotation.set": tags.0: Too big…`), else the patch's only field.
 */
export function refusedField(message: string, patch: AnnotationPatch): keyof AnnotationPatch | null {
  const named = /^invalid payload for "[^"]*": (\w+)/.exec(message)?.[1];
  const field = patchFields.find((f) => f === named);
  if (field) return field;
  const given = patchFields.filter((f) => patch[f] !== undefined);
  return given.length === 1 ? given[0]! : null;
}

/** What the saver needs from its surroundings. */
export interface SaverDeps {
  readonly save: (patch: AnnotationPatch) => Promise<SaveReply>;
  /** Quiet time after the last change before saving (ms). */
  readonly delay: number;
  readonly setTimer: (fn: () => void, ms: number) => unknown;
  readonly clearTimer: (handle: unknown) => void;
  readonly onStatus: (status: SaveStatus) => void;
  /** The annotation as stored after each successful save. */
  readonly onSaved?: (annotation: Annotation) => void;
  /** The unsaved fields after every change (null once all is saved), e.g. to back them up. */
  readonly onPending?: (pending: AnnotationPatch | null) => void;
  readonly now?: () => number;
}

/** Longest wait between retries of a failing save. */
export const MAX_RETRY_MS = 30_000;

/** Debounced, ordered, retrying saves of one feature's annotation. */
export class AnnotationSaver {
  readonly #deps: SaverDeps;
  #pending: AnnotationPatch = {};
  #timer: unknown = null;
  #inFlight: Promise<void> | null = null;
  #failures = 0;
  #disposed = false;

  constructor(deps: SaverDeps) {
    this.#deps = deps;
  }

  /** True while some change is not saved yet. */
  get dirty(): boolean {
    return Object.keys(this.#pending).length > 0 || this.#inFlight !== null;
  }

  /** Records a change; saves it after the quiet time. */
  change(patch: AnnotationPatch): void {
    this.#pending = { ...this.#pending, ...patch };
    this.#deps.onPending?.(this.#pending);
    if (!this.#inFlight) this.#deps.onStatus({ state: 'pending' });
    this.#failures = 0;
    this.#schedule(this.#deps.delay);
  }

  /** Saves what is pending now (after any save in flight); resolves when that is done. */
  async flush(): Promise<void> {
    this.#cancelTimer();
    while (this.#inFlight) await this.#inFlight;
    if (Object.keys(this.#pending).length === 0) return;
    const patch = this.#pending;
    this.#pending = {};
    this.#deps.onStatus({ state: 'saving' });
    this.#inFlight = this.#send(patch);
    await this.#inFlight;
  }

  /** Stops timers; what is pending stays with onPending's last call. Call flush() first to save it. */
  dispose(): void {
    this.#disposed = true;
    this.#cancelTimer();
  }

  async #send(patch: AnnotationPatch): Promise<void> {
    let reply: SaveReply;
    try {
      reply = await this.#deps.save(patch);
    } catch (e) {
      // no answer at all (connection lost): worth retrying
      reply = { ok: false, error: { message: errorMessage(e) } };
    }
    this.#inFlight = null;
    if (reply.ok) {
      this.#failures = 0;
      this.#deps.onSaved?.(reply.value);
      const more = Object.keys(this.#pending).length > 0;
      this.#deps.onPending?.(more ? this.#pending : null);
      this.#deps.onStatus(more ? { state: 'pending' } : { state: 'saved', at: (this.#deps.now ?? Date.now)() });
      return;
    }
    // Keep what failed, but let anything typed meanwhile win.
    this.#pending = { ...patch, ...this.#pending };
    this.#deps.onPending?.(this.#pending);
    if (reply.error.code === 'bad_request') {
      // the same values would be refused again: keep them (and the backup) until the user changes them
      this.#failures = 0;
      this.#deps.onStatus({
        state: 'error',
        message: reply.error.message,
        retrying: false,
        field: refusedField(reply.error.message, patch),
      });
      return;
    }
    this.#failures++;
    this.#deps.onStatus({ state: 'error', message: reply.error.message, retrying: true, field: null });
    this.#schedule(Math.min(MAX_RETRY_MS, this.#deps.delay * 2 ** (this.#failures + 1)));
  }

  #schedule(ms: number): void {
    if (this.#disposed) return;
    this.#cancelTimer();
    this.#timer = this.#deps.setTimer(() => {
      this.#timer = null;
      void this.flush();
    }, ms);
  }

  #cancelTimer(): void {
    if (this.#timer !== null) this.#deps.clearTimer(this.#timer);
    this.#timer = null;
  }
}
