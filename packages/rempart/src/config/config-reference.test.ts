import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configJsonSchema } from './json-schema.ts';
import { markdownTable, REFERENCE_PATH, renderConfigReference, type SchemaNode } from './reference.ts';

// docs/configuration.md is generated from the schema: it must be exactly what the renderer makes now.
const root = join(import.meta.dirname, '..', '..', '..', '..');

describe('configuration reference', () => {
  it(`${REFERENCE_PATH} is up to date with the schema`, () => {
    let onDisk: string;
    try {
      onDisk = readFileSync(join(root, REFERENCE_PATH), 'utf8');
    } catch {
      assert.fail(`${REFERENCE_PATH} is missing: run \`npm run docs:config\``);
    }
    assert.ok(
      onDisk === renderConfigReference(),
      `${REFERENCE_PATH} is stale (the configuration schema changed): run \`npm run docs:config\``,
    );
  });

  it('has one section per top-level key, in the schema order', () => {
    const schema = configJsonSchema() as SchemaNode;
    const headings = [...renderConfigReference(schema).matchAll(/^## `([^`]+)`$/gm)].map((m) => m[1]);
    assert.deepEqual(headings, Object.keys(schema.properties ?? {}));
  });

  it('renders a table per object, dotted rows below the second level, escaped pipes', () => {
    const schema: SchemaNode = {
      title: 'T',
      type: 'object',
      required: ['a'],
      additionalProperties: false,
      properties: {
        a: {
          type: 'object',
          additionalProperties: false,
          properties: {
            n: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 3, description: 'How many.' },
            sub: {
              type: 'object',
              default: {},
              additionalProperties: false,
              properties: {
                pair: {
                  type: 'object',
                  additionalProperties: false,
                  properties: { lo: { type: 'number', exclusiveMinimum: 0 } },
                },
              },
            },
          },
        },
        key: { type: 'string', pattern: '^(a|b)$' },
      },
    };
    const md = renderConfigReference(schema);
    assert.match(md, /^# T reference\n/);
    assert.match(md, /\| `a\.n` +\| integer +\| `3` +\| ≥ 0; How many\. +\|/);
    assert.match(md, /\| `a\.sub` +\| object +\| `\{\}` +\| keys in the `a\.sub` table below +\|/);
    assert.match(md, /### `a\.sub`\n\n\| Path/);
    assert.match(md, /\| `a\.sub\.pair\.lo` +\| number +\| +\| > 0 +\|/);
    assert.doesNotMatch(md, /### `a\.sub\.pair`/);
    assert.match(md, /matches `\^\(a\\\|b\)\$`/);
    assert.match(md, /Unknown keys are errors/);
    assert.ok(md.endsWith('|\n') && !md.endsWith('\n\n'));
  });

  it('pads tables the way Biome formats Markdown', () => {
    assert.equal(
      markdownTable(
        ['A', 'Long header'],
        [
          ['x', ''],
          ['≥ 12', 'y'],
        ],
      ),
      '| A    | Long header |\n| ---- | ----------- |\n| x    |             |\n| ≥ 12 | y           |',
    );
  });
});
