import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { REFERENCE_PATH, renderConfigReference } from '../src/config/reference.ts';

// `npm run docs:config`: writes docs/configuration.md from the configuration's JSON Schema. The rendering lives in
// src/config/reference.ts, where config-reference.test.ts checks that the committed file is up to date.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const file = root + REFERENCE_PATH;
writeFileSync(file, renderConfigReference());
process.stdout.write(`wrote ${REFERENCE_PATH}\n`);
