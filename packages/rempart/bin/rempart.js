#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript run natively by Node's type stripping (Node >= 24).
import v8 from 'node:v8';

// A flood churns the bounded state tables: every evicted entry is old-generation garbage. With V8's defaults RSS
// reached ~330 MB after 500,000 sprayed keys (npm run bench, memory line); growing the heap by 10 % steps and
// capping the young generation at 16 MB kept it at 225 MB, and 238 MB after 1.1 million keys. V8 sizes the young
// generation when the heap is made, so these flags only fully apply from the command line: `serve` re-executes
// itself with them (same process id, via execve), unless they were given already.
const FLAGS = ['--max-semi-space-size=16', '--heap-growing-percent=10'];
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
