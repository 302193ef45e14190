import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compilePolicy } from './compile.ts';
import { parseConfig } from './load.ts';

// Every configuration the loader accepts must compile into a Policy (regexes, CIDR sets, key builders).
const dir = join(import.meta.dirname, 'testdata', 'good');
const env = { REMPART_ADMIN_TOKEN: 'test-token-0123456789' };

describe('compilePolicy', () => {
  for (const f of readdirSync(dir)) {
    it(`good/${f} compiles`, () => {
      const config = parseConfig(readFileSync(join(dir, f), 'utf8'), f, env);
      const p = compilePolicy(config);
      assert.equal(p.config, config);
      assert.equal(p.routes.routes.length, config.routes.length);
      assert.equal(p.limits.length, config.rate_limits.length + config.distinct_limits.length);
      assert.equal(p.autoBan === undefined, config.auto_ban === undefined);
      for (const r of p.routes.routes) assert.ok(p.config.upstreams.some((u) => u.name === r.upstream));
    });
  }
});
