#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript run natively by Node's type stripping (Node >= 24).
import v8 from 'node:v8';

// A flood churns the bounded state tables: every evicted entry is old-generation garbage. V8's default heap
// growth let RSS reach ~490 MB after 1M keys with ~72 MB live; growing the heap by 10 % steps and capping the
// young generation at 16 MB keeps it under ~290 MB (npm run bench, memory line). Set before any allocation of note.
v8.setFlagsFromString('--max-semi-space-size=16');
v8.setFlagsFromString('--heap-growing-percent=10');
import('../src/main.ts').then((m) => m.main(process.argv.slice(2)));
