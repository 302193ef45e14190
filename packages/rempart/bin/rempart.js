#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript run natively by Node's type stripping (Node >= 24).
import v8 from 'node:v8';
import { FLAGS } from './v8-flags.js';

// A flood churns the bounded state tables: every evicted entry is old-generation garbage. With V8's defaults RSS
// reached ~330 MB after 500,000 sprayed keys (npm run bench, memory line); growing the heap by 10 % steps and
// capping the young generation at 16 MB kept it at 225 MB, and 238 MB after 1.1 million keys. V8 sizes the young
// generation when the heap is made, so these flags only fully apply from the command line: `serve` re-executes
// itself with them (same process id, via execve), unless they were given already.
//
// Allocation-site pretenuring is off: with 64 requests in flight, each request's objects are alive at a scavenge,
// so V8 judged their allocation sites long-lived and allocated them straight into the old generation, where every
// finished request became garbage for a major GC (21 mark-compacts in 8 s of proxying against 5 without
// pretenuring; 61 → 45 µs of CPU per proxied request, 16.8k → 22k req/s, same run). Request state is short-lived
// by nature; the long-lived tables are typed arrays and LRU entries that survive on their own merit.
const given = (f) => process.execArgv.some((a) => a.startsWith(f.split('=')[0]));
if (process.argv[2] === 'serve' && !FLAGS.every(given) && typeof process.execve === 'function') {
  try {
    process.execve(process.execPath, [
      process.execPath,
      ...FLAGS.filter((f) => !given(f)),
      ...process.execArgv,
      ...process.argv.slice(1),
    ]);
  } catch {
    // No execve here (Windows): set what can still be set at run time.
  }
}
for (const f of FLAGS) if (!given(f)) v8.setFlagsFromString(f);
import('../src/main.ts').then((m) => m.main(process.argv.slice(2)));
