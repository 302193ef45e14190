import { performance } from 'node:perf_hooks';
// One timer per origin connection for all its timeouts (connect, headers, body, idle), moved without touching
// Node's timer list in the common case: arming only records a deadline, and a pending timer that fires before
// that deadline re-arms itself for the rest. A request on a kept-alive socket thus usually costs no timer call.

export interface DeadlineOwner {
  onDeadline(): void;
}

export class LazyTimer {
  private readonly owner: DeadlineOwner;
  private readonly fireBound: () => void;
  private timer: NodeJS.Timeout | undefined = undefined;
  /** performance.now() at which the pending Node timer fires. */
  private fireAt = 0;
  /** 0 when disarmed. */
  private deadline = 0;

  constructor(owner: DeadlineOwner) {
    this.owner = owner;
    this.fireBound = () => this.fire();
  }

  /**
   * Calls owner.onDeadline() once `ms` after `now` (performance.now(), which a caller handling several events
   * at once reads once), unless re-armed or disarmed first; `ms` ≤ 0 disarms.
   */
  arm(ms: number, now: number): void {
    if (ms <= 0) {
      this.deadline = 0;
      return;
    }
    const at = now + ms;
    this.deadline = at;
    if (this.timer !== undefined) {
      if (this.fireAt <= at) return;
      clearTimeout(this.timer);
    }
    this.schedule(now, at);
  }

  disarm(): void {
    this.deadline = 0;
  }

  /** Frees the Node timer (connection closed). */
  stop(): void {
    this.deadline = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(now: number, at: number): void {
    this.fireAt = at;
    this.timer = setTimeout(this.fireBound, Math.max(1, Math.ceil(at - now)));
    // Never what keeps the process alive: a busy socket already does, an idle one must not.
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    const at = this.deadline;
    if (at === 0) return;
    const now = performance.now();
    // Node's loop clock is cached per tick and may run up to a millisecond behind performance.now().
    if (now + 1 >= at) {
      this.deadline = 0;
      this.owner.onDeadline();
    } else this.schedule(now, at);
  }
}
