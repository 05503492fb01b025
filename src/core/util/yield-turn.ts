/** Resolves after one turn of the event loop, so that messages, I/O and timers queued meanwhile get in. */
export const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
