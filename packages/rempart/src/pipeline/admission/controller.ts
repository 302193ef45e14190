import type { Clock } from '../../core/clock.ts';
import { ROUTE_CLASSES, type RouteClass } from '../types.ts';
import { DEFAULT_GRADIENT, GradientLimit, type GradientParams, type GradientPhase } from './gradient.ts';
import { AdmissionQueue, type Waiter } from './queue.ts';

// One per upstream: admits a request when fewer than `limit` are in flight, queues it by class otherwise,
// sheds when the queue cannot take it. Completed requests feed their latency to the gradient limit.

export interface Ticket {
  readonly cls: RouteClass;
  /** Monotonic ms when the slot was granted (latency is measured from here, queueing excluded). */
  readonly admittedAt: number;
  released: boolean;
}

export type ShedReason = 'queue-full' | 'deadline' | 'evicted' | 'client-gone';

/** Whoever waits: a waiter whose client has gone is dropped instead of being sent to the origin. */
export interface AdmissionOwner {
  readonly clientGone?: boolean;
}
export interface Shed {
  readonly shed: true;
  readonly cls: RouteClass;
  readonly reason: ShedReason;
}

export interface AdmissionSettings {
  readonly concurrency: { readonly initial: number; readonly min: number; readonly max: number };
  readonly queueSize: number;
  readonly deadlineMs: Readonly<Record<RouteClass, number>>;
  /** Gradient tuning beyond the bounds (tests shorten the windows). */
  readonly gradient?: Partial<typeof DEFAULT_GRADIENT>;
}

export interface AdmissionState {
  readonly upstream: string;
  readonly limit: number;
  /** 'measure-min-rtt' while the idle latency is being re-measured at the minimum concurrency. */
  readonly phase: GradientPhase;
  readonly inFlight: number;
  readonly queued: Readonly<Record<RouteClass, number>>;
  readonly minRttMs: number | null;
  readonly sampleRttMs: number | null;
  readonly shed: Readonly<Record<RouteClass, number>>;
  /** Waiters dropped because their client had gone. */
  readonly abandoned: number;
}

interface Entry extends Waiter {
  readonly owner: AdmissionOwner | undefined;
  resolve: (r: Ticket | Shed) => void;
}

const SWEEP_MS = 50;

function shedOf(cls: RouteClass, reason: ShedReason): Shed {
  return { shed: true, cls, reason };
}

export function isShed(x: Ticket | Shed): x is Shed {
  return 'shed' in x;
}

export class AdmissionController {
  readonly upstream: string;
  readonly #clock: Clock;
  readonly #gradient: GradientLimit;
  #queue: AdmissionQueue<Entry>;
  #inFlight = 0;
  readonly #shedCount: Record<RouteClass, number> = { critical: 0, normal: 0, static: 0, bulk: 0 };
  #abandoned = 0;
  #sweep: NodeJS.Timeout | undefined;
  readonly #onStale = (w: Entry): void => {
    this.#shedCount[w.cls]++;
    w.resolve(shedOf(w.cls, 'deadline'));
  };

  constructor(upstream: string, s: AdmissionSettings, clock: Clock) {
    this.upstream = upstream;
    this.#clock = clock;
    this.#gradient = new GradientLimit(gradientParams(s));
    this.#queue = new AdmissionQueue<Entry>(s.queueSize, s.deadlineMs);
  }

  /** Config reload: new bounds, deadlines and queue size; learned limit and waiting requests are kept. */
  reconfigure(s: AdmissionSettings): void {
    this.#gradient.reconfigure(gradientParams(s));
    this.#queue.setDeadlines(s.deadlineMs);
    if (s.queueSize !== this.#queue.capacity) this.#resize(s);
  }

  /** Waiters move to a queue of the new size in serve order: a smaller one sheds the lowest classes first. */
  #resize(s: AdmissionSettings): void {
    const old = this.#queue;
    const now = this.#clock.mono();
    this.#queue = new AdmissionQueue<Entry>(s.queueSize, s.deadlineMs);
    for (let w = old.shift(now, this.#onStale); w !== undefined; w = old.shift(now, this.#onStale)) {
      const pushed = this.#queue.push(w);
      if (!pushed.accepted) {
        this.#shedCount[w.cls]++;
        w.resolve(shedOf(w.cls, 'queue-full'));
      } else if (pushed.evicted !== undefined) {
        this.#shedCount[pushed.evicted.cls]++;
        pushed.evicted.resolve(shedOf(pushed.evicted.cls, 'evicted'));
      }
    }
  }

  get limit(): number {
    return this.#gradient.limit;
  }
  get inFlight(): number {
    return this.#inFlight;
  }

  /** `now` is monotonic ms (clock.mono()). */
  acquire(cls: RouteClass, now: number, owner?: AdmissionOwner): Ticket | Shed | Promise<Ticket | Shed> {
    if (this.#inFlight < this.#gradient.limit && this.#queue.size === 0) {
      this.#inFlight++;
      return { cls, admittedAt: now, released: false };
    }
    const { promise, resolve } = Promise.withResolvers<Ticket | Shed>();
    const pushed = this.#queue.push({ cls, enqueuedAt: now, owner, resolve });
    if (!pushed.accepted) {
      this.#shedCount[cls]++;
      return shedOf(cls, 'queue-full');
    }
    if (pushed.evicted !== undefined) {
      this.#shedCount[pushed.evicted.cls]++;
      pushed.evicted.resolve(shedOf(pushed.evicted.cls, 'evicted'));
    }
    // A slot may be free while others wait (the limit grew): serve the queue now.
    this.#drain(now);
    this.#armSweep();
    return promise;
  }

  /**
   * Exactly once per ticket; later calls are ignored. Only completed requests teach the limit. The latency is
   * measured here from the ticket's admission unless given (one clock read serves both).
   */
  release(ticket: Ticket, how: 'done' | 'cancel', latencyMs?: number): void {
    if (ticket.released) return;
    ticket.released = true;
    this.#inFlight--;
    const now = this.#clock.mono();
    if (how === 'done') this.#gradient.sample(latencyMs ?? now - ticket.admittedAt, now, this.#inFlight + 1);
    this.#drain(now);
  }

  /** Drops waiters past their deadline; run by a timer while the queue is not empty, and by tests by hand. */
  sweep(now: number): void {
    this.#queue.expire(now, this.#onStale);
  }

  state(): AdmissionState {
    const queued = { critical: 0, normal: 0, static: 0, bulk: 0 };
    for (const c of ROUTE_CLASSES) queued[c] = this.#queue.lengthOf(c);
    const minRtt = this.#gradient.minRttMs;
    const sampleRtt = this.#gradient.sampleRttMs;
    return {
      upstream: this.upstream,
      limit: this.#gradient.limit,
      phase: this.#gradient.phase,
      inFlight: this.#inFlight,
      queued,
      minRttMs: Number.isNaN(minRtt) ? null : minRtt,
      sampleRttMs: Number.isNaN(sampleRtt) ? null : sampleRtt,
      shed: { ...this.#shedCount },
      abandoned: this.#abandoned,
    };
  }

  queueLength(cls: RouteClass): number {
    return this.#queue.lengthOf(cls);
  }

  close(): void {
    if (this.#sweep !== undefined) clearInterval(this.#sweep);
    this.#sweep = undefined;
    const now = this.#clock.mono();
    for (let w = this.#queue.shift(now, this.#onStale); w !== undefined; w = this.#queue.shift(now, this.#onStale)) {
      this.#shedCount[w.cls]++;
      w.resolve(shedOf(w.cls, 'deadline'));
    }
  }

  #drain(now: number): void {
    while (this.#inFlight < this.#gradient.limit) {
      const w = this.#queue.shift(now, this.#onStale);
      if (w === undefined) break;
      if (w.owner?.clientGone === true) {
        this.#abandoned++;
        w.resolve(shedOf(w.cls, 'client-gone'));
        continue;
      }
      this.#inFlight++;
      w.resolve({ cls: w.cls, admittedAt: now, released: false });
    }
  }

  #armSweep(): void {
    if (this.#sweep !== undefined) return;
    this.#sweep = setInterval(() => {
      this.sweep(this.#clock.mono());
      if (this.#queue.size === 0) {
        clearInterval(this.#sweep);
        this.#sweep = undefined;
      }
    }, SWEEP_MS);
    this.#sweep.unref();
  }
}

function gradientParams(s: AdmissionSettings): GradientParams {
  return { ...DEFAULT_GRADIENT, ...s.gradient, ...s.concurrency };
}
