#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript run natively by Node's type stripping (Node >= 24).
import('../src/main.ts').then((m) => m.main(process.argv.slice(2)));
