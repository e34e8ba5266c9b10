/** One record's part in a {@link BatchGathering}: what it adds (once), or that it adds nothing. */
export interface GatheringPlace<T> {
  /** Adds the record's items; settles once the whole batch's items went out together. */
  readonly add: (items: readonly T[]) => Promise<void>;
  /** Says the record adds nothing (more): it finished or failed without adding, or already added. */
  readonly leave: () => void;
}

/**
 * Gathers what the records of one batch, processed side by side, would each send, and sends it in one go once
 * every record added its part or left: so a fan-out batch's deliveries of one subscription, from different
 * events, can travel together (delivery-pack.ts). A record's `add` settles as the one send does: if it throws,
 * every record that added is told, and each is handed back by SQS as if its own send had failed.
 */
export class BatchGathering<T> {
  readonly #send: (items: readonly T[]) => Promise<void>;
  #open: number;
  readonly #items: T[] = [];
  readonly #waiting: { resolve: () => void; reject: (error: unknown) => void }[] = [];

  /** `records`: how many records the batch has; `send`: what sends everything gathered. */
  public constructor(records: number, send: (items: readonly T[]) => Promise<void>) {
    this.#open = records;
    this.#send = send;
  }

  /** A place for one record of the batch; call it once per record. */
  public place(): GatheringPlace<T> {
    let open = true;
    const close = () => {
      if (!open) return false;
      open = false;
      this.#open -= 1;
      return true;
    };
    return {
      add: (items) => {
        if (!open) return Promise.reject(new Error('A record added to its batch’s gathering twice'));
        const settled = new Promise<void>((resolve, reject) => this.#waiting.push({ resolve, reject }));
        this.#items.push(...items);
        close();
        this.#sendWhenAllIn();
        return settled;
      },
      leave: () => {
        if (close()) this.#sendWhenAllIn();
      },
    };
  }

  #sendWhenAllIn(): void {
    if (this.#open > 0 || this.#waiting.length === 0) return;
    const waiting = this.#waiting.splice(0);
    const items = this.#items.splice(0);
    this.#send(items).then(
      () => {
        for (const one of waiting) one.resolve();
      },
      (error: unknown) => {
        for (const one of waiting) one.reject(error);
      },
    );
  }
}
