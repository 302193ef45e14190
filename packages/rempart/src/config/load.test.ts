import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from './load.ts';

const dir = join(import.meta.dirname, 'testdata');
const env = { REMPART_ADMIN_TOKEN: 'test-token-0123456789' };

// Where each bad file must be reported: line:col and a fragment of the message.
const expected: Record<string, [string, RegExp]> = {
  'port-range.yaml': ['3:11', /<=65535/],
  'unknown-upstream.yaml': ['11:15', /unknown upstream "origine"/],
  'bad-cidr.yaml': ['12:7', /300\.1\.2\.3\/8/],
  'typo-key.yaml': ['4:5', /unknown key "protocl"/],
  'yaml-syntax.yaml': ['4:1', /./],
  'bad-regex.yaml': ['12:19', /invalid regular expression/],
};

describe('config loading', () => {
  for (const f of readdirSync(join(dir, 'good'))) {
    it(`good/${f} loads`, () => {
      const c = parseConfig(readFileSync(join(dir, 'good', f), 'utf8'), f, env);
      assert.ok(c.listeners.length > 0);
      assert.ok(c.admin.token.length >= 16);
    });
  }

  for (const f of readdirSync(join(dir, 'bad'))) {
    it(`bad/${f} is refused with file:line:col`, () => {
      const want = expected[f];
      assert.ok(want, `add an expectation for bad/${f}`);
      assert.throws(
        () => parseConfig(readFileSync(join(dir, 'bad', f), 'utf8'), `bad/${f}`, env),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError);
          const first = e.message.split('\n').find((l) => want[1].test(l));
          assert.ok(first, `no line matches ${want[1]} in:\n${e.message}`);
          assert.match(first, new RegExp(`^bad/${f.replace('.', '\\.')}:${want[0]}: `));
          return true;
        },
      );
    });
  }

  it('reports a missing environment variable by name', () => {
    const text = readFileSync(join(dir, 'good', 'minimal.yaml'), 'utf8');
    assert.throws(() => parseConfig(text, 'minimal.yaml', {}), /REMPART_ADMIN_TOKEN is not set/);
  });

  it('applies defaults', () => {
    const c = parseConfig(readFileSync(join(dir, 'good', 'minimal.yaml'), 'utf8'), 'm', env);
    assert.equal(c.limits.max_connections_per_ip, 128);
    assert.equal(c.limits.h2.max_concurrent_streams, 100);
    assert.equal(c.state.backend, 'memory');
  });
});
