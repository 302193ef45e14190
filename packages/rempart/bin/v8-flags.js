// The V8 flags `rempart serve` runs with (why: see rempart.js). Shared with the instruction-count bench, which
// must give them on the command line itself: the re-exec that adds them would leave valgrind behind.
export const FLAGS = ['--max-semi-space-size=16', '--heap-growing-percent=10', '--no-allocation-site-pretenuring'];
