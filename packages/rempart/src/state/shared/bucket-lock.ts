import { threadId } from 'node:worker_threads';

// One lock word per bucket: 0 when free, else the holder's token (its thread and a per-thread count, so every
// acquisition writes a different value), taken with a compare-and-swap. A critical section is a handful of
// typed-array reads and writes on one bucket (about a hundred nanoseconds, no I/O, nothing awaited, nothing that
// throws), so a contender normally gets the word within a few spins. The long wait is a holder descheduled by the
// kernel (more threads than cores): after the spins a contender naps in Atomics.wait for 50 µs so that the holder
// gets a core. Node allows Atomics.wait on its main thread too (only browsers forbid it); a nap there blocks the
// event loop for the microseconds a spin would have. Releasers never notify: a nap ends on its own timeout.
//
// A holder that never releases (a worker terminated in the middle of a call) would stop its bucket for good. When
// the same token has held the word through about a second of naps, the waiter takes the word over (by CAS, so one
// waiter does). The bucket's entries may then be half written: soft state, one wrong count, not a stuck gateway.

const SPINS = 128;
const NAP_MS = 0.05;
/** Naps under one unchanged token before taking over (~1 s). */
const STUCK_NAPS = 20_000;
/** Naps in all, whatever the holders, before taking over anyway (a bound on the loop, not expected to be met). */
const MAX_NAPS = 1_000_000;
const SEQ_BITS = 20;
const SEQ_MASK = (1 << SEQ_BITS) - 1;

const owner = ((threadId & 0x7ff) + 1) << SEQ_BITS;
let seq = 0;

/** Lock words taken over from a holder that never released, in this thread (diagnostics). */
export let lockTakeovers = 0;

function nextToken(): number {
  seq = (seq + 1) & SEQ_MASK;
  return owner | seq;
}

export function lock(words: Int32Array, at: number): void {
  const token = nextToken();
  if (Atomics.compareExchange(words, at, 0, token) !== 0) lockSlow(words, at, token);
}

export function unlock(words: Int32Array, at: number): void {
  Atomics.store(words, at, 0);
}

function lockSlow(words: Int32Array, at: number, token: number): void {
  let seen = 0;
  let stuck = 0;
  for (let nap = 0; nap < MAX_NAPS; nap++) {
    for (let i = 0; i < SPINS; i++) {
      if (Atomics.load(words, at) === 0 && Atomics.compareExchange(words, at, 0, token) === 0) return;
    }
    const held = Atomics.load(words, at);
    if (held !== seen) {
      seen = held;
      stuck = 0;
    } else if (held !== 0 && ++stuck >= STUCK_NAPS && Atomics.compareExchange(words, at, held, token) === held) {
      lockTakeovers++;
      return;
    }
    Atomics.wait(words, at, held, NAP_MS);
  }
  Atomics.store(words, at, token);
  lockTakeovers++;
}
