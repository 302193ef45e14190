import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePolicy } from '../../config/compile.ts';
import { configSchema } from '../../config/schema.ts';

const config = configSchema.parse({
  listeners: [{ name: 'public', port: 0 }],
  admin: { token: 'a-test-token-of-16+chars' },
  upstreams: [
    { name: 'poste', url: 'http://127.0.0.1:9' },
    { name: 'banque', url: 'http://127.0.0.1:10' },
  ],
  routes: [
    { name: 'approval', match: { path_prefix: '/banque/', methods: ['post'] }, class: 'critical', upstream: 'banque' },
    { name: 'tracking', match: { path_regex: '^/suivi/[A-Z0-9]{8,13}$' }, class: 'critical', max_body_bytes: 0 },
    { name: 'search', match: { path_prefix: '/recherche' }, class: 'bulk' },
    { name: 'admin-host', match: { host: 'admin.poste.test' } },
    { name: 'any-sub', match: { host: '*.cdn.test', path_prefix: '/s/' }, class: 'static' },
    { name: 'login', match: { path_prefix: '/connexion', methods: ['POST'] }, class: 'critical' },
  ],
  rate_limits: [
    { name: 'per-ip', key: ['ip'], rate: 10 },
    { name: 'bulk-prefix', key: ['prefix'], rate: 5, classes: ['bulk'] },
    { name: 'login-account', key: ['form:username'], rate: 1, routes: ['login'] },
  ],
  distinct_limits: [{ name: 'usernames', key: ['prefix'], count: 'form:username', limit: 5, routes: ['login'] }],
});
const routes = compilePolicy(config).routes;

describe('route matching', () => {
  const cases: [name: string, method: string, host: string, path: string, want: string][] = [
    ['prefix + method', 'POST', '', '/banque/approve', 'approval'],
    ['method outside the set falls through', 'GET', '', '/banque/approve', 'default'],
    ['regex', 'GET', '', '/suivi/AB12345678', 'tracking'],
    ['regex does not match', 'GET', '', '/suivi/x', 'default'],
    ['prefix', 'GET', '', '/recherche?', 'search'],
    ['exact host', 'GET', 'admin.poste.test', '/', 'admin-host'],
    ['other host', 'GET', 'poste.test', '/', 'default'],
    ['wildcard host + prefix', 'GET', 'a.cdn.test', '/s/app.js', 'any-sub'],
    ['wildcard host, wrong path', 'GET', 'a.cdn.test', '/x', 'default'],
    ['first match wins in config order', 'POST', 'admin.poste.test', '/banque/x', 'approval'],
  ];
  for (const [name, method, host, path, want] of cases) {
    it(name, () => assert.equal(routes.match(method, host, path).name, want));
  }

  it('compiled routes carry class, upstream and body limit', () => {
    const a = routes.match('POST', '', '/banque/x');
    assert.deepEqual([a.routeClass, a.upstream, a.maxBodyBytes], ['critical', 'banque', 1_048_576]);
    const t = routes.match('GET', '', '/suivi/AB12345678');
    assert.deepEqual([t.upstream, t.maxBodyBytes], ['poste', 0]);
    const d = routes.fallback;
    assert.deepEqual([d.name, d.routeClass, d.upstream], ['default', 'normal', 'poste']);
  });

  it('per-route rule lists are precomputed', () => {
    const names = (r: { limits: readonly { name: string }[] }) => r.limits.map((x) => x.name);
    assert.deepEqual(names(routes.byName.get('search')!), ['per-ip', 'bulk-prefix']);
    assert.deepEqual(names(routes.byName.get('login')!), ['per-ip', 'login-account', 'usernames']);
    assert.deepEqual(names(routes.byName.get('approval')!), ['per-ip']);
    assert.deepEqual(names(routes.fallback), ['per-ip'], 'route-scoped rules never apply to the default route');
  });

  it('needsForm only where a rule reads form fields', () => {
    assert.equal(routes.byName.get('login')!.needsForm, true);
    assert.equal(routes.byName.get('search')!.needsForm, false);
    assert.equal(routes.fallback.needsForm, false);
  });
});
