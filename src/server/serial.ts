/** Runs async tasks one after another, in the order they were handed in. */
export class Serial {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` once every task handed in before it has settled; resolves or rejects as it does. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
