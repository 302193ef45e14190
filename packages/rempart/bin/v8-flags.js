import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parse } from 'yaml';

// The V8 flags `rempart serve` runs with; rempart.js re-executes itself with them. Shared with the
// instruction-count bench, which must give them on the command line itself: the re-exec would leave valgrind
// behind.
//
// A flood churns the bounded state tables: every evicted entry is old-generation garbage. With V8's defaults RSS
// reached ~330 MB after 500,000 sprayed keys (npm run bench, memory line); growing the heap by 10 % steps keeps
// it flat.
//
// The young generation is a budget of 16 MB per semi-space shared by the serving threads. Each thread has its own
// young generation, and after a minute of traffic every page of both its semi-spaces is resident; with
// `workers: auto` on 2 cores, 16 MB per thread cost 24 to 34 MB more RSS than 8 (242 against 217 MB after the same
// load). A thread serving 1/n of the traffic at 16/n MB scavenges as often, and copies as much per scavenge (the
// objects of its own requests in flight), as one thread at 16 MB: measured with two threads, 8 MB against 16 MB,
// median per-round CPU ratio 1.00 over 12 rounds in turn (0.91 to 1.06). One thread keeps 16 MB: at 8 MB the
// incident replay (lab, ddosia-replay, one worker) took 16.8 to 17.9 s of gateway CPU against 15.3 to 17.8 s and
// a p99 of 56 to 83 ms against 55 to 65 ms (four runs each), and 2 MB took 76.8 → 98.9 µs per request. 4 MB is
// the floor for many threads.
//
// Allocation-site pretenuring is off: with 64 requests in flight, each request's objects are alive at a scavenge,
// so V8 judged their allocation sites long-lived and allocated them straight into the old generation, where every
// finished request became garbage for a major GC (21 mark-compacts in 8 s of proxying against 5 without
// pretenuring; 61 → 45 µs of CPU per proxied request, 16.8k → 22k req/s, same run). Request state is short-lived
// by nature; the long-lived tables are typed arrays and LRU entries that survive on their own merit.

const SEMI_SPACE_BUDGET_MB = 16;
const SEMI_SPACE_FLOOR_MB = 4;

/** The flags for a process whose gateway serves on `threads` threads (config `workers`). */
export function flagsFor(threads) {
  const semi = Math.max(SEMI_SPACE_FLOOR_MB, Math.floor(SEMI_SPACE_BUDGET_MB / Math.max(1, threads)));
  return [`--max-semi-space-size=${semi}`, '--heap-growing-percent=10', '--no-allocation-site-pretenuring'];
}

/** The flags of one serving thread, the default `workers: 1`. */
export const FLAGS = flagsFor(1);

/**
 * The serving threads a configuration file asks for, read before the process starts for real. Anything unusual
 * (no file, bad YAML, no `workers`) counts as 1: `serve` itself then reads the file and reports what is wrong.
 */
export function threadsOf(file) {
  try {
    const w = parse(readFileSync(file, 'utf8'))?.workers;
    if (w === 'auto') return Math.max(1, availableParallelism());
    return Number.isInteger(w) && w >= 1 ? w : 1;
  } catch {
    return 1;
  }
}
