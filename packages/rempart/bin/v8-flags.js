// The V8 flags `rempart serve` runs with; rempart.js re-executes itself with them. Shared with the
// instruction-count bench, which must give them on the command line itself: the re-exec would leave valgrind
// behind.
//
// A flood churns the bounded state tables: every evicted entry is old-generation garbage. With V8's defaults RSS
// reached ~330 MB after 500,000 sprayed keys (npm run bench, memory line); growing the heap by 10 % steps keeps
// it flat.
//
// The young generation is capped at 8 MB per semi-space: each serving thread has its own, and after a minute of
// traffic every page of both semi-spaces is resident. With `workers: auto` on 2 cores, 16 MB cost 24 to 34 MB
// more RSS than 8 (242 against 217 MB after the same load) for the same CPU per request (median per-round ratio
// 1.00 over 12 rounds in turn, 0.91 to 1.06), and the same instructions per request on the main thread (82.0k
// against 84.8k, npm run bench:instructions). Smaller is worse: 2 MB took 76.8 → 98.9 µs per request, since each
// scavenge copies the objects of every request in flight.
//
// Allocation-site pretenuring is off: with 64 requests in flight, each request's objects are alive at a scavenge,
// so V8 judged their allocation sites long-lived and allocated them straight into the old generation, where every
// finished request became garbage for a major GC (21 mark-compacts in 8 s of proxying against 5 without
// pretenuring; 61 → 45 µs of CPU per proxied request, 16.8k → 22k req/s, same run). Request state is short-lived
// by nature; the long-lived tables are typed arrays and LRU entries that survive on their own merit.
export const FLAGS = ['--max-semi-space-size=8', '--heap-growing-percent=10', '--no-allocation-site-pretenuring'];
