#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript run natively by Node's type stripping (Node >= 24).
import v8 from 'node:v8';
import { flagsFor, threadsOf } from './v8-flags.js';

// The V8 flags (v8-flags.js, where the measurements that chose them are) size the young generation, which V8
// fixes when the heap is made, so they only fully apply from the command line: `serve` re-executes itself with
// them (same process id, via execve), unless they were given already. Their size depends on the number of
// serving threads, so the configuration's `workers` is read first.
const given = (f) => process.execArgv.some((a) => a.startsWith(f.split('=')[0]));
const args = process.argv.slice(2);
const configAt = args.findIndex((a) => a === '--config' || a === '-c');
const configFile = configAt >= 0 ? args[configAt + 1] : args.find((a) => a.startsWith('--config='))?.slice(9);
const FLAGS = args[0] === 'serve' && configFile !== undefined ? flagsFor(threadsOf(configFile)) : flagsFor(1);
if (args[0] === 'serve' && !FLAGS.every(given) && typeof process.execve === 'function') {
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
