import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { defaultChallengeConfig } from './config.ts';
import { CSP } from './page.ts';
import { startTestGateway, type TestGateway } from './test-gateway.ts';

// A real Chromium (the system's, headless, fresh profile per launch) against the challenge in front of a real origin.

const EXE = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const skip =
  EXE === undefined && process.env.CI !== 'true' ? 'chromium not installed (apt-get install -y chromium)' : false;
const ARTIFACTS = 'test-artifacts';

let gw: TestGateway;
let browser: Browser;
before(async () => {
  if (skip) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  gw = await startTestGateway(
    defaultChallengeConfig({
      secret: 'browser-test-secret-0123456789abcdef0123',
      nojs_wait_s: 1,
      difficulty: { base: 12, max: 14 },
      branding: { name: 'Poste Banque' },
    }),
  );
  browser = await chromium.launch({
    executablePath: EXE,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
});
after(async () => {
  await browser?.close();
  await gw?.close();
});

test('a browser solves the challenge, lands on the original page with the cookie, and is not re-challenged', {
  skip,
  timeout: 90_000,
}, async () => {
  const ctx = await browser.newContext({ locale: 'fr-FR' });
  try {
    const page = await ctx.newPage();
    const first = await page.goto(`${gw.url}/account?x=1`);
    assert.equal(first?.status(), 403);
    await page.waitForSelector('#origin', { timeout: 60_000 });
    assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, '/account?x=1');
    assert.equal(await page.textContent('#origin'), 'origin page /account?x=1');
    const cookie = (await ctx.cookies()).find((c) => c.name === '__rempart');
    assert.ok(cookie, 'clearance cookie set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    for (const p of ['/account?x=1', '/other']) {
      const again = await page.goto(`${gw.url}${p}`);
      assert.equal(again?.status(), 200, `${p} not re-challenged`);
    }
  } finally {
    await ctx.close();
  }
});

test('the challenge page: French, progress, status region, constant CSP, no violation, cached assets; screenshot', {
  skip,
  timeout: 90_000,
}, async () => {
  const ctx = await browser.newContext({ locale: 'fr-FR', extraHTTPHeaders: { 'accept-language': 'fr-FR,fr;q=0.9' } });
  let release = () => {};
  try {
    const page = await ctx.newPage();
    // Hold the worker back so the page can be looked at before it moves on.
    const held = new Promise<void>((r) => {
      release = r;
    });
    await page.route(
      (u) => u.pathname === '/.rempart/worker.js',
      async (route) => {
        await held;
        await route.continue();
      },
    );
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    // Runs before the page's own script, outside its CSP: records every violation the page would cause.
    await page.addInitScript(() => {
      const w = window as unknown as { violations: string[] };
      w.violations = [];
      document.addEventListener('securitypolicyviolation', (e) => w.violations.push(e.violatedDirective));
    });
    const assets: string[] = [];
    page.on('response', (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith('/.rempart/'))
        assets.push(`${r.status()} ${u.pathname} ${r.headers()['cache-control']}`);
    });
    const res = await page.goto(`${gw.url}/virement`);
    assert.equal(res?.headers()['content-security-policy'], CSP);
    const html = await res?.text();
    assert.ok(html !== undefined && Buffer.byteLength(html) < 20_000, 'page under 20 kB');
    // The page's script ran (it shows the progress block) and its stylesheet applies, both under the CSP.
    await page.waitForSelector('#work', { state: 'visible' });
    assert.equal(await page.$eval('main', (m) => getComputedStyle(m).maxWidth), '544px');
    assert.deepEqual(await page.evaluate(() => (window as unknown as { violations: string[] }).violations), []);
    for (const name of ['page.css', 'page.js']) {
      assert.ok(assets.includes(`200 /.rempart/${name} public, max-age=31536000, immutable`), assets.join('\n'));
    }
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
    assert.equal(await page.textContent('h1'), 'Vérification de sécurité');
    assert.equal(await page.getAttribute('#st', 'role'), 'status');
    await page.screenshot({ path: `${ARTIFACTS}/challenge-page.png` });
    release();
    await page.waitForSelector('#origin', { timeout: 60_000 });
    assert.deepEqual(
      errors.filter((e) => e.includes('Content Security Policy')),
      [],
    );
  } finally {
    release(); // a failed assertion must not leave the worker request hanging
    await ctx.close();
  }
});

test('a POST form sent without clearance survives the challenge and reaches the origin', {
  skip,
  timeout: 90_000,
}, async () => {
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    await page.goto(`${gw.url}/form`);
    await page.waitForSelector('#go', { timeout: 60_000 });
    await ctx.clearCookies();
    await page.fill('#to', 'FR76 3000 6000 0112 3456 7890 189');
    await page.fill('#amount', '42,50 €');
    await page.click('#go');
    await page.waitForSelector('#got', { timeout: 60_000 });
    const got = new URLSearchParams((await page.textContent('#got')) ?? '');
    assert.equal(got.get('to'), 'FR76 3000 6000 0112 3456 7890 189');
    assert.equal(got.get('amount'), '42,50 €');
    assert.ok(gw.origin.paths.includes('POST /transfer'));
  } finally {
    await ctx.close();
  }
});

test('with JavaScript disabled, the no-JS wait page lets a person through', { skip, timeout: 90_000 }, async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false, locale: 'en-GB' });
  try {
    const page = await ctx.newPage();
    const first = await page.goto(`${gw.url}/statement?m=11`);
    assert.equal(first?.status(), 403);
    assert.equal(await page.isVisible('#work'), false, 'no progress bar that would never move');
    assert.equal(await page.isVisible('h1'), true);
    await page.screenshot({ path: `${ARTIFACTS}/challenge-nojs.png` });
    await page.waitForSelector('#origin', { timeout: 60_000 });
    assert.equal(await page.textContent('#origin'), 'origin page /statement?m=11');
    const again = await page.goto(`${gw.url}/statement?m=12`);
    assert.equal(again?.status(), 200);
  } finally {
    await ctx.close();
  }
});

test('with JavaScript disabled, a kept POST form is sent again by pressing the button after the wait', {
  skip,
  timeout: 90_000,
}, async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false, locale: 'fr-FR' });
  try {
    const page = await ctx.newPage();
    await page.goto(`${gw.url}/form`);
    await page.waitForSelector('#go', { timeout: 60_000 });
    await ctx.clearCookies();
    await page.fill('#to', 'FR76 1234');
    await page.fill('#amount', '7');
    await page.click('#go');
    const button = page.locator('form#rf button[type=submit]');
    await button.waitFor({ timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 1_500)); // the ticket's wait
    await button.click();
    await page.waitForSelector('#got', { timeout: 60_000 });
    const got = new URLSearchParams((await page.textContent('#got')) ?? '');
    assert.equal(got.get('to'), 'FR76 1234');
    assert.equal(got.get('amount'), '7');
  } finally {
    await ctx.close();
  }
});
