#!/usr/bin/env node
// Thin launcher: the service is TypeScript run natively by Node 24 (type stripping).
import { main } from '../src/main.ts';

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`poste: ${err?.message ?? err}\n`);
    process.exitCode = 2;
  },
);
