import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { solveScrypt } from '../../../client/solve.ts';
import { defaultChallengeConfig } from './config.ts';
import { startTestGateway, type TestGateway } from './test-gateway.ts';

// The scrypt proof in the system's Chromium (headless): the worker's hand-written scrypt over WebCrypto's PBKDF2
// solves what the server's node:crypto checks, and the person lands on the page they asked for.

const EXE = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const skip =
  EXE === undefined && process.env.CI !== 'true' ? 'chromium not installed (apt-get install -y chromium)' : false;

let gw: TestGateway;
let browser: Browser;
before(async () => {
  if (skip) return;
  gw = await startTestGateway(
    defaultChallengeConfig({
      secret: 'scrypt-browser-secret-0123456789abcdef01',
      proof: 'scrypt',
      scrypt: { n: 4096, r: 8, p: 1, base: 4, max: 5 },
    }),
  );
  browser = await chromium.launch({
    executablePath: EXE,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
});
after(async () => {
  await browser?.close();
  await gw?.close();
});

test('a browser solves a scrypt challenge and lands on the original page with the cookie', {
  skip,
  timeout: 120_000,
}, async () => {
  const ctx = await browser.newContext({ locale: 'en-GB' });
  try {
    const page = await ctx.newPage();
    const first = await page.goto(`${gw.url}/account?tab=scrypt`);
    assert.equal(first?.status(), 403);
    assert.match(first?.headers()['www-authenticate'] ?? '', /algorithm="scrypt", n="4096", r="8", p="1"/);
    const html = await first?.text();
    assert.ok(html !== undefined && Buffer.byteLength(html) < 20_000, 'page under 20 kB');
    await page.waitForSelector('#origin', { timeout: 90_000 });
    assert.equal(await page.textContent('#origin'), 'origin page /account?tab=scrypt');
    assert.ok((await ctx.cookies()).some((c) => c.name === '__rempart'));
    assert.equal((await page.goto(`${gw.url}/other`))?.status(), 200, 'not re-challenged');
  } finally {
    await ctx.close();
  }
});

test("the served worker's scrypt finds the same counter as node:crypto and reports progress on each miss", {
  skip,
  timeout: 120_000,
}, async () => {
  // A challenge string whose first proof is not at counter 0..2, so progress must show before the answer.
  const params = { n: 2048, r: 8, p: 1 };
  let name = '';
  let want = '';
  for (let i = 0; want === '' || Number(want) < 3; i++) {
    name = `browser-known-${i}`;
    want = await solveScrypt(name, 4, params);
  }
  const page = await browser.newPage();
  try {
    await page.goto(`${gw.url}/static/x`);
    const got = await page.evaluate(
      ({ c, n }) =>
        new Promise<{ n: string; progress: number[] }>((resolve) => {
          const progress: number[] = [];
          const w = new Worker('/.rempart/worker.js');
          w.onmessage = (e) => {
            if (e.data.p !== undefined) progress.push(e.data.p);
            else resolve({ n: e.data.n, progress });
          };
          w.postMessage({ c, b: 4, a: 'scrypt', N: n, r: 8, p: 1 });
        }),
      { c: name, n: params.n },
    );
    assert.equal(got.n, want);
    assert.equal(got.progress.length, Number(want));
    assert.ok(got.progress.every((p, i) => p > 0 && p < 1 && (i === 0 || p > got.progress[i - 1])));
  } finally {
    await page.close();
  }
});
