import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { createManualClock } from '../../core/clock.ts';
import type { AnyResponse } from '../respond.ts';
import type { Deps, RequestCtx } from '../types.ts';
import { defaultChallengeConfig } from './config.ts';
import { createChallenge } from './stage.ts';
import { startTestGateway } from './test-gateway.ts';
import { createSigner, KIND_CLEARANCE } from './token.ts';

// Figures for the docs: clearance verifications per second on one core, and the median proof-of-work solve
// time in headless Chromium per difficulty. Run: npx node packages/rempart/src/pipeline/challenge/measure.ts [--no-browser]

const SECRET = 'measure-secret-0123456789abcdef0123456789';

function verifyRate(): { signerOnly: number; stage: number; page: number; api: number } {
  const signer = createSigner(SECRET, 'previous-secret-0123456789abcdef01234567');
  const who = { prefix: '203.0.113.0/24', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140 Safari/537.36' };
  const nowS = 1_700_000_000;
  const tokens = Array.from({ length: 1024 }, () => signer.sign(KIND_CLEARANCE, nowS + 3600, 1e6, who));
  const run = (fn: (i: number) => void) => {
    for (let i = 0; i < 50_000; i++) fn(i); // warm-up
    const n = 400_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(i);
    return Math.round(n / (Number(process.hrtime.bigint() - t0) / 1e9));
  };
  const signerOnly = run((i) => {
    if (typeof signer.verify(tokens[i & 1023], KIND_CLEARANCE, who, nowS) === 'string') throw new Error('bad');
  });
  // The whole stage: cookie parse + verify + budget count + policy, under attack.
  const clock = createManualClock(nowS * 1000);
  const m = createChallenge(defaultChallengeConfig({ secret: SECRET, clearance: { budget: 1_000_000 } }), clock);
  const deps = { clock, snapshot: { mode: 'under-attack', pressure: 0.5, pinned: false, since: 0 } } as unknown as Deps;
  const ctxs = tokens.map(
    (t, i): RequestCtx => ({
      id: `m${i}`,
      startedAt: 0,
      startedMono: 0,
      method: 'GET',
      path: '/account',
      query: '',
      headers: { cookie: `lang=fr; __rempart=${t}`, 'user-agent': who.userAgent, accept: 'text/html' },
      httpVersion: '1.1',
      tls: true,
      peerIp: '203.0.113.7',
      client: { ip: '203.0.113.7', prefix: who.prefix },
      routeClass: 'critical',
      trace: [],
    }),
  );
  const stage = run((i) => {
    const v = m.stage.run(ctxs[i & 1023], deps);
    if (v instanceof Promise || v.kind !== 'pass') throw new Error('expected a pass with a valid cookie');
  });
  // Challenge rendering (the reject path under attack): bytes go to a sink that only counts them.
  let bytes = 0;
  const sink = {
    headersSent: false,
    writableEnded: false,
    destroyed: false,
    writeHead() {
      return sink;
    },
    end(b?: string) {
      bytes += b?.length ?? 0;
    },
  } as unknown as AnyResponse;
  const verdict = { kind: 'challenge', rule: 'bench', difficulty: 16 } as const;
  const html = ctxs.map((c) => ({ ...c, headers: { ...c.headers, cookie: undefined } }));
  const json = html.map((c) => ({ ...c, headers: { ...c.headers, accept: 'application/json' } }));
  const page = run((i) => m.renderChallenge(sink, html[i & 1023], verdict));
  const api = run((i) => m.renderChallenge(sink, json[i & 1023], verdict));
  if (bytes === 0) throw new Error('nothing rendered');
  return { signerOnly, stage, page, api };
}

async function solveTimes(): Promise<Record<number, number>> {
  const exe = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (exe === undefined) return {};
  const gw = await startTestGateway(defaultChallengeConfig({ secret: SECRET }));
  const browser = await chromium.launch({
    executablePath: exe,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  const out: Record<number, number> = {};
  try {
    const page = await browser.newPage();
    await page.goto(`${gw.url}/static/bench`); // same origin as the worker, no challenge on static
    for (const [bits, runs] of [
      [10, 9],
      [12, 9],
      [14, 9],
      [16, 7],
      [18, 5],
    ] as const) {
      const times: number[] = await page.evaluate(
        async ({ bits, runs }) => {
          const ts: number[] = [];
          for (let r = 0; r < runs; r++) {
            const w = new Worker('/.rempart/worker.js');
            const t0 = performance.now();
            await new Promise<void>((resolve) => {
              w.onmessage = (e) => {
                if (e.data.n !== undefined) resolve();
              };
              w.postMessage({ c: `bench-${bits}-${r}-${Math.random()}`, b: bits });
            });
            ts.push(performance.now() - t0);
            w.terminate();
          }
          return ts;
        },
        { bits, runs },
      );
      times.sort((a, b) => a - b);
      out[bits] = Math.round(times[times.length >> 1]);
    }
  } finally {
    await browser.close();
    await gw.close();
  }
  return out;
}

const v = verifyRate();
console.log(`clearance verify (signer only): ${v.signerOnly.toLocaleString('en')}/s on one core`);
console.log(`challenge stage with a valid cookie: ${v.stage.toLocaleString('en')}/s on one core`);
console.log(
  `HTML challenge pages rendered: ${v.page.toLocaleString('en')}/s, JSON challenges: ${v.api.toLocaleString('en')}/s`,
);
const s = process.argv.includes('--no-browser') ? {} : await solveTimes();
for (const [bits, ms] of Object.entries(s)) console.log(`headless Chromium median solve at ${bits} bits: ${ms} ms`);
