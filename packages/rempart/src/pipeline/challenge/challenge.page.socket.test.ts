import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ASSETS, PAGE_SCRIPT, PAGE_STYLE, WORKER_SCRIPT } from './assets.ts';
import { defaultChallengeConfig } from './config.ts';
import { CSP } from './page.ts';
import { send, startTestGateway, type TestGateway } from './test-gateway.ts';

// The page as bytes on the wire: markup only, a constant CSP that allows nothing inline, and its script, style and
// worker as versioned same-origin assets the browser keeps.

const H = { accept: 'text/html', 'user-agent': 'Mozilla/5.0 page-test', 'accept-language': 'fr' };
let gw: TestGateway;
before(async () => {
  gw = await startTestGateway(
    defaultChallengeConfig({ secret: 'page-test-secret-0123456789abcdef0123456', branding: { name: 'Poste Banque' } }),
  );
});
after(() => gw.close());

test('every page has the same CSP, which allows no inline script or style, and the page has none', async () => {
  const [a, b] = await Promise.all([send(`${gw.url}/x`, { headers: H }), send(`${gw.url}/y?z=1`, { headers: H })]);
  assert.equal(a.status, 403);
  assert.equal(a.headers['content-security-policy'], CSP);
  assert.equal(b.headers['content-security-policy'], CSP);
  assert.doesNotMatch(CSP, /nonce-|unsafe-inline|unsafe-eval|https?:/);
  assert.match(CSP, /script-src 'self'; style-src 'self'/);
  assert.doesNotMatch(a.body, /<style|\sstyle=|\son[a-z]+=/i, 'no inline style or handler');
  for (const m of a.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.match(m[1], / src="\/\.rempart\//, 'every script is a same-origin file');
    assert.equal(m[2], '', 'and has no inline body');
  }
  assert.ok(a.body.includes(`<link rel="stylesheet" href="${PAGE_STYLE.url.replaceAll('&', '&amp;')}">`));
  assert.ok(a.body.includes(`<script src="${PAGE_SCRIPT.url}"></script>`));
  assert.ok(a.body.includes(`data-worker="${WORKER_SCRIPT.url}"`));
  // Without JavaScript the progress block stays hidden; the page script shows it.
  assert.match(a.body, /<div id="work" hidden>/);
});

test('a GET page is markup only, well under 2 kB', async () => {
  const r = await send(`${gw.url}/account?tab=1`, { headers: H });
  const n = Buffer.byteLength(r.body);
  assert.equal(Number(r.headers['content-length']), n);
  assert.ok(n < 2_000, `${n} bytes`);
});

test('assets are served with their type, nosniff, and a year of cache for the current version only', async () => {
  const want: Record<string, RegExp> = {
    'page.js': /^text\/javascript/,
    'page.css': /^text\/css/,
    'worker.js': /^text\/javascript/,
  };
  assert.deepEqual([...ASSETS.keys()].sort(), Object.keys(want).sort());
  for (const [name, a] of ASSETS) {
    const r = await send(`${gw.url}${a.url}`);
    assert.equal(r.status, 200, name);
    assert.match(String(r.headers['content-type']), want[name], name);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable', name);
    assert.equal(r.body, a.body.toString('utf8'));
    // An old page's version (or none) may get this content only briefly: never pinned for a year.
    for (const q of ['', '?v=old']) {
      const o = await send(`${gw.url}/.rempart/${name}${q}`);
      assert.equal(o.status, 200);
      assert.equal(o.headers['cache-control'], 'public, max-age=3600', `${name}${q}`);
    }
    const head = await send(`${gw.url}${a.url}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal((await send(`${gw.url}${a.url}`, { method: 'POST' })).status, 404);
  }
});

test('a kept POST form posts to the no-JS wait with the challenge as its ticket', async () => {
  const r = await send(`${gw.url}/transfer`, {
    method: 'POST',
    headers: { ...H, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'to=FR76&amount=10',
  });
  assert.equal(r.status, 403);
  const c = /data-c="([A-Za-z0-9_-]+)"/.exec(r.body)?.[1];
  assert.ok(c);
  assert.ok(r.body.includes(`<form id="rf" method="post" action="/.rempart/wait?t=${c}&amp;r=%2Ftransfer">`));
  assert.match(r.body, /<noscript><p>[^<]+<\/p><button type="submit">Envoyer de nouveau<\/button><\/noscript><\/form>/);
  assert.doesNotMatch(r.body, /http-equiv="refresh"/, 'a kept POST waits for the button, never a refresh');
});
