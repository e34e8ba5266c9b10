/**
 * Runs tasks at most `limit` at a time per key, the others waiting their turn in the order they came: e.g. an
 * invocation's requests to one subscription's endpoint, however many packs of it a batch holds.
 */
export class KeyedLimiter {
  readonly #limit: number;
  readonly #running = new Map<string, number>();
  readonly #waiting = new Map<string, (() => void)[]>();

  public constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`limit must be a whole number ≥ 1, got ${limit}`);
    this.#limit = limit;
  }

  /** Runs `task` once fewer than `limit` tasks of `key` run, and answers what it answers. */
  public async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const running = this.#running.get(key) ?? 0;
    if (running >= this.#limit) {
      await new Promise<void>((start) => {
        const queue = this.#waiting.get(key) ?? [];
        queue.push(start);
        this.#waiting.set(key, queue);
      });
    } else {
      this.#running.set(key, running + 1);
    }
    try {
      return await task();
    } finally {
      this.#next(key);
    }
  }

  /** Hands a finished task's place to the next waiting one of its key, or gives the place up. */
  #next(key: string): void {
    const queue = this.#waiting.get(key);
    const start = queue?.shift();
    if (queue !== undefined && queue.length === 0) this.#waiting.delete(key);
    if (start !== undefined) {
      start();
      return;
    }
    const running = (this.#running.get(key) ?? 1) - 1;
    if (running === 0) this.#running.delete(key);
    else this.#running.set(key, running);
  }
}
