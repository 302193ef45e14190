// Single-flight: one promise per key while it is in flight; later callers for the same key share it.
// The map holds only in-flight keys, so it is bounded by the caller's own cap on concurrent misses.

export class SingleFlight<T> {
  private readonly flights = new Map<string, Promise<T>>();

  /** `leader` is true for the caller whose `fn` actually runs. */
  run(key: string, fn: () => Promise<T>): { promise: Promise<T>; leader: boolean } {
    const existing = this.flights.get(key);
    if (existing !== undefined) return { promise: existing, leader: false };
    const promise = fn().finally(() => this.flights.delete(key));
    this.flights.set(key, promise);
    return { promise, leader: true };
  }

  has(key: string): boolean {
    return this.flights.has(key);
  }

  get size(): number {
    return this.flights.size;
  }
}
