import { CLASS_PRIORITY, ROUTE_CLASSES, type RouteClass } from '../types.ts';

// Bounded priority queue of requests waiting for an origin slot. One FIFO per route class; the highest class
// is served first. Entries past their class deadline are dropped when met (CoDel-like: a request that waited
// too long is worth less than a fresh one, and its client has likely given up). When the queue is full, the
// lowest class waiting is shed first: a critical arrival evicts a queued bulk one, never the reverse.

export interface Waiter {
  readonly cls: RouteClass;
  readonly enqueuedAt: number;
}

/** Classes from the one served first to the one shed first. */
export const SERVE_ORDER: readonly RouteClass[] = [...ROUTE_CLASSES].sort(
  (a, b) => CLASS_PRIORITY[a] - CLASS_PRIORITY[b],
);
const SHED_ORDER: readonly RouteClass[] = [...SERVE_ORDER].reverse();

/** Fixed-capacity FIFO ring. */
class Ring<T> {
  readonly #items: (T | undefined)[];
  #head = 0;
  #size = 0;
  constructor(capacity: number) {
    this.#items = new Array<T | undefined>(capacity);
  }
  get size(): number {
    return this.#size;
  }
  push(x: T): void {
    this.#items[(this.#head + this.#size) % this.#items.length] = x;
    this.#size++;
  }
  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head];
  }
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const x = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#items.length;
    this.#size--;
    return x;
  }
}

export type PushResult<W> = { accepted: true; evicted?: W } | { accepted: false };

export class AdmissionQueue<W extends Waiter> {
  readonly capacity: number;
  #deadlines: Readonly<Record<RouteClass, number>>;
  readonly #rings: Record<RouteClass, Ring<W>>;
  #size = 0;

  constructor(capacity: number, deadlinesMs: Readonly<Record<RouteClass, number>>) {
    this.capacity = capacity;
    this.#deadlines = deadlinesMs;
    this.#rings = {
      critical: new Ring(capacity),
      normal: new Ring(capacity),
      static: new Ring(capacity),
      bulk: new Ring(capacity),
    };
  }

  get size(): number {
    return this.#size;
  }

  lengthOf(cls: RouteClass): number {
    return this.#rings[cls].size;
  }

  setDeadlines(deadlinesMs: Readonly<Record<RouteClass, number>>): void {
    this.#deadlines = deadlinesMs;
  }

  /**
   * Queues w. When full, evicts the oldest waiter of the lowest class below w's class (returned so the caller
   * can answer it); when no such class waits, w itself is refused.
   */
  push(w: W): PushResult<W> {
    if (this.#size < this.capacity) {
      this.#rings[w.cls].push(w);
      this.#size++;
      return { accepted: true };
    }
    const mine = CLASS_PRIORITY[w.cls];
    for (const cls of SHED_ORDER) {
      if (CLASS_PRIORITY[cls] <= mine) break;
      const evicted = this.#rings[cls].shift();
      if (evicted !== undefined) {
        this.#rings[w.cls].push(w);
        return { accepted: true, evicted };
      }
    }
    return { accepted: false };
  }

  /** The next waiter to serve; stale heads met on the way are handed to onStale. */
  shift(now: number, onStale: (w: W) => void): W | undefined {
    for (const cls of SERVE_ORDER) {
      const ring = this.#rings[cls];
      const deadline = this.#deadlines[cls];
      for (let w = ring.shift(); w !== undefined; w = ring.shift()) {
        this.#size--;
        if (now - w.enqueuedAt > deadline) onStale(w);
        else return w;
      }
    }
    return undefined;
  }

  /** Drops every waiter past its deadline (a periodic sweep, for when nothing completes to drive shift()). */
  expire(now: number, onStale: (w: W) => void): number {
    let n = 0;
    for (const cls of SERVE_ORDER) {
      const ring = this.#rings[cls];
      const deadline = this.#deadlines[cls];
      for (let w = ring.peek(); w !== undefined && now - w.enqueuedAt > deadline; w = ring.peek()) {
        ring.shift();
        this.#size--;
        n++;
        onStale(w);
      }
    }
    return n;
  }
}
