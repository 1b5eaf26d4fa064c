/**
 * Row counts promised by dump ID before they are known: each settles once, from whoever counts
 * it (the counter process's answers, the data fed to pg_restore); `rejectRest` ends the ones
 * never counted.
 */
export class PendingCounts {
  /** By dump ID; a rejection is awaited (and reported) by whoever uses the count. */
  readonly counts = new Map<number, Promise<number>>();
  readonly #pending = new Map<number, { resolve: (n: number) => void; reject: (e: Error) => void }>();

  constructor(dumpIds: Iterable<number>) {
    for (const id of dumpIds) {
      const counting = new Promise<number>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
      counting.catch(() => undefined);
      this.counts.set(id, counting);
    }
  }

  /** Whether `dumpId`'s count is still to come. */
  waits(dumpId: number): boolean {
    return this.#pending.has(dumpId);
  }

  resolve(dumpId: number, rows: number): void {
    this.#pending.get(dumpId)?.resolve(rows);
    this.#pending.delete(dumpId);
  }

  reject(dumpId: number, why: string): void {
    this.#pending.get(dumpId)?.reject(new Error(why));
    this.#pending.delete(dumpId);
  }

  /** Rejects every count still to come with `why`. */
  rejectRest(why: string): void {
    for (const id of [...this.#pending.keys()]) this.reject(id, why);
  }
}
