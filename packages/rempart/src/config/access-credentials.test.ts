import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePolicy } from './compile.ts';
import { ConfigError, parseConfig } from './load.ts';

// access.allow_tokens and listeners[].tls.client_ca / allow_client_certs: validated once at load, compiled
// once into the Policy (digests, header sets, listener names).

const TOKEN = 'partner-token-0123456789abcdef';

function yaml(access: string, tls = ''): string {
  return `listeners:
  - name: public
    port: 0
  - name: partners
    port: 0
    protocol: https
    tls:
      cert: cert.pem
      key: key.pem
${tls}
admin:
  token: admin-token-0123456789
upstreams:
  - name: origin
    url: http://127.0.0.1:1
access:
${access}
`;
}

function problems(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(text, 'c.yaml', env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message.split('\n');
  }
  assert.fail('expected the configuration to be refused');
}

describe('access.allow_tokens', () => {
  it('env: values are resolved; the policy holds digests grouped by lowercased header', () => {
    const c = parseConfig(
      yaml(`  allow_tokens:
    - { name: monitoring, header: X-Rempart-Partner, token: "env:PARTNER_TOKEN" }
    - { name: partner-b, header: x-rempart-partner, token: other-token-0123456789 }`),
      'c.yaml',
      { PARTNER_TOKEN: TOKEN },
    );
    assert.equal(c.access.allow_tokens[0].token, TOKEN);
    const p = compilePolicy(c).access;
    assert.deepEqual(p.tokens.headers, ['x-rempart-partner']);
    assert.deepEqual(
      p.tokens.byHeader.get('x-rempart-partner')?.map((e) => [e.rule, e.digest.length]),
      [
        ['access/allow-token:monitoring', 32],
        ['access/allow-token:partner-b', 32],
      ],
    );
    assert.deepEqual([...p.stripHeaders], ['x-rempart-partner']);
  });

  it('defaults to none', () => {
    const p = compilePolicy(parseConfig(yaml('  allow: []'), 'c.yaml', {})).access;
    assert.deepEqual([p.tokens.headers.length, p.stripHeaders.size, p.mtls.size], [0, 0, 0]);
  });

  it('a short or spaced token is refused without echoing it', () => {
    const short = 'short-secret';
    const out = problems(yaml(`  allow_tokens: [{ name: m, header: x-k, token: "env:T" }]`), { T: short });
    assert.ok(
      out.some((l) => /allow_tokens\[0\]\.token: token must be at least 16 characters/.test(l)),
      out.join('\n'),
    );
    assert.ok(!out.join('\n').includes(short));
    const spaced = problems(yaml(`  allow_tokens: [{ name: m, header: x-k, token: "with space 0123456789" }]`));
    assert.ok(
      spaced.some((l) => /printable ASCII without spaces/.test(l)),
      spaced.join('\n'),
    );
  });

  it('an unset variable is reported once, by name', () => {
    const out = problems(yaml(`  allow_tokens: [{ name: m, header: x-k, token: "env:PARTNER_TOKEN" }]`));
    assert.deepEqual(
      out.filter((l) => l.includes('allow_tokens')),
      [out.find((l) => /environment variable PARTNER_TOKEN is not set/.test(l))],
    );
  });

  it('duplicate names, a repeated token and headers the gateway owns are refused', () => {
    const out = problems(
      yaml(`  allow_tokens:
    - { name: m, header: x-k, token: ${TOKEN} }
    - { name: m, header: X-K, token: ${TOKEN} }
    - { name: h, header: Host, token: other-token-0123456789 }
    - { name: x, header: x-forwarded-for, token: third-token-0123456789 }`),
    );
    const text = out.join('\n');
    assert.match(text, /allow_tokens\[1\]\.name: duplicate token name "m"/);
    assert.match(text, /allow_tokens\[1\]\.token: same header and token as access\.allow_tokens\[0\]/);
    assert.match(text, /allow_tokens\[2\]\.header: "host" is read or rewritten by the gateway/);
    assert.match(text, /allow_tokens\[3\]\.header: "x-forwarded-for" is read or rewritten/);
    assert.ok(!text.includes(TOKEN), 'no secret in the messages');
  });

  it('a header name must be a header name', () => {
    assert.ok(
      problems(yaml(`  allow_tokens: [{ name: m, header: "x k", token: ${TOKEN} }]`)).some((l) =>
        /an HTTP header name/.test(l),
      ),
    );
  });
});

describe('listeners[].tls.client_ca / allow_client_certs', () => {
  it('compiles the listeners that allow-list verified certificates', () => {
    const c = parseConfig(yaml('  allow: []', '      client_ca: ca.pem\n      allow_client_certs: true'), 'c.yaml', {});
    assert.equal(c.listeners[1].tls?.client_ca, 'ca.pem');
    assert.deepEqual([...compilePolicy(c).access.mtls], [['partners', 'access/allow-mtls:partners']]);
  });

  it('client_ca alone checks certificates but allow-lists nothing', () => {
    const c = parseConfig(yaml('  allow: []', '      client_ca: ca.pem'), 'c.yaml', {});
    assert.equal(compilePolicy(c).access.mtls.size, 0);
  });

  it('allow_client_certs needs client_ca; client_ca needs https', () => {
    const out = problems(yaml('  allow: []', '      allow_client_certs: true'));
    assert.ok(out.some((l) => /listeners\[1\]\.tls\.allow_client_certs: allow_client_certs needs client_ca/.test(l)));
    const http = problems(
      yaml('  allow: []').replace(
        '  - name: public\n    port: 0',
        '  - name: public\n    port: 0\n    tls: { cert: c, key: k, client_ca: ca.pem }',
      ),
    );
    assert.ok(
      http.some((l) => /listeners\[0\]\.tls\.client_ca: client_ca needs protocol https/.test(l)),
      http.join('\n'),
    );
  });
});
