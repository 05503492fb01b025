import type { AppEvent, EventData, EventName } from '#shared/contract.ts';

/**
 * The typed event bus of one core instance. Jobs and other core code emit into it; each
 * transport subscribes once with `onAny` and forwards everything to its clients.
 */
export class EventBus {
  readonly #any = new Set<(event: AppEvent) => void>();

  /** Emits an event to every listener; a throwing listener is reported and skipped. */
  emit<E extends EventName>(name: E, data: EventData<E>): void {
    // The mapped AppEvent union cannot be built from a generic E without help.
    const event = { name, data } as AppEvent;
    for (const listener of [...this.#any]) {
      try {
        listener(event);
      } catch (e) {
        console.error(`event listener failed on "${name}"`, e);
      }
    }
  }

  /** Calls `listener` for every event until the returned function is called. */
  onAny(listener: (event: AppEvent) => void): () => void {
    this.#any.add(listener);
    return () => void this.#any.delete(listener);
  }

  /** Calls `listener` for each `name` event until the returned function is called. */
  on<E extends EventName>(name: E, listener: (data: EventData<E>) => void): () => void {
    return this.onAny((event) => {
      // Narrowed by name: event.data is EventData<E> here.
      if (event.name === name) listener(event.data as EventData<E>);
    });
  }

  /** Resolves with the first `name` event whose data passes `match` (tests and CLI wait on this). */
  next<E extends EventName>(name: E, match: (data: EventData<E>) => boolean = () => true): Promise<EventData<E>> {
    return new Promise((resolve) => {
      const off = this.on(name, (data) => {
        if (!match(data)) return;
        off();
        resolve(data);
      });
    });
  }

  /** Emits a `log` event. */
  log(level: EventData<'log'>['level'], message: string, source?: string): void {
    this.emit('log', { level, message, time: Date.now(), ...(source ? { source } : {}) });
  }

  /** How many listeners are attached (transports clean up after themselves; tests check it). */
  get listenerCount(): number {
    return this.#any.size;
  }
}
