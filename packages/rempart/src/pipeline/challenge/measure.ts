import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { createManualClock } from '../../core/clock.ts';
import type { AnyResponse } from '../respond.ts';
import type { Deps, RequestCtx } from '../types.ts';
import { defaultChallengeConfig } from './config.ts';
import { createScryptVerifier, type ScryptSpec, scryptHash } from './proof.ts';
import { createChallenge } from './stage.ts';
import { startTestGateway } from './test-gateway.ts';
import { createSigner, KIND_CLEARANCE } from './token.ts';

// Figures for the docs: clearance verifications per second on one core, the server's cost of a scrypt check, and
// the median solve time in headless Chromium per difficulty, SHA-256 and scrypt.
// Run: npx node packages/rempart/src/pipeline/challenge/measure.ts [--no-browser]

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

/** µs per scrypt check alone, and checks per second through the bounded verifier (its default bound of 4). */
async function scryptCost(): Promise<{ n: number; usPerCheck: number; perS: number }[]> {
  const out = [];
  for (const n of [1024, 4096, 16384]) {
    const spec: ScryptSpec = { alg: 'scrypt', bits: 8, n, r: 8, p: 1 };
    for (let i = 0; i < 3; i++) await scryptHash('warm', String(i), spec);
    const one = n >= 16384 ? 10 : 30;
    let t0 = performance.now();
    for (let i = 0; i < one; i++) await scryptHash('seq', String(i), spec);
    const usPerCheck = Math.round(((performance.now() - t0) * 1000) / one);
    const v = createScryptVerifier(() => 4);
    let done = 0;
    let i = 0;
    t0 = performance.now();
    const lane = async () => {
      while (performance.now() - t0 < 3_000) {
        const r = v.check('par', String(i++), spec);
        if (r === 'busy') throw new Error('lanes exceed the bound');
        await r;
        done++;
      }
    };
    await Promise.all([lane(), lane(), lane(), lane()]);
    out.push({ n, usPerCheck, perS: Math.round(done / ((performance.now() - t0) / 1000)) });
  }
  return out;
}

type Level = readonly [label: string, msg: Record<string, unknown>, runs: number];

async function solveTimes(): Promise<Record<string, number>> {
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
  const out: Record<string, number> = {};
  const sha: Level[] = [
    [10, 9],
    [12, 9],
    [14, 9],
    [16, 7],
    [18, 5],
  ].map(([b, runs]) => [`sha256 ${b} bits`, { b }, runs] as const);
  // scrypt at its default parameters (N = 4096, r = 8, p = 1) across the default range of bits, and N's two ends.
  const scrypt: Level[] = [
    ...[
      [4, 9],
      [5, 7],
      [6, 7],
      [7, 5],
      [8, 5],
    ].map(([b, runs]) => [`scrypt N=4096 ${b} bits`, { b, a: 'scrypt', N: 4096, r: 8, p: 1 }, runs] as const),
    ['scrypt N=1024 6 bits', { b: 6, a: 'scrypt', N: 1024, r: 8, p: 1 }, 7],
    ['scrypt N=16384 4 bits', { b: 4, a: 'scrypt', N: 16384, r: 8, p: 1 }, 7],
  ];
  try {
    const page = await browser.newPage();
    await page.goto(`${gw.url}/static/bench`); // same origin as the worker, no challenge on static
    for (const [label, msg, runs] of [...sha, ...scrypt]) {
      const times: number[] = await page.evaluate(
        async ({ msg, runs }) => {
          const ts: number[] = [];
          for (let r = 0; r < runs; r++) {
            const w = new Worker('/.rempart/worker.js');
            const t0 = performance.now();
            await new Promise<void>((resolve) => {
              w.onmessage = (e) => {
                if (e.data.n !== undefined) resolve();
              };
              w.postMessage({ ...msg, c: `bench-${r}-${Math.random()}` });
            });
            ts.push(performance.now() - t0);
            w.terminate();
          }
          return ts;
        },
        { msg, runs },
      );
      times.sort((a, b) => a - b);
      out[label] = Math.round(times[times.length >> 1]);
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
for (const c of await scryptCost()) {
  console.log(
    `scrypt check N=${c.n} r=8 p=1: ${c.usPerCheck.toLocaleString('en')} µs alone, ${c.perS.toLocaleString('en')}/s with 4 in flight`,
  );
}
const s = process.argv.includes('--no-browser') ? {} : await solveTimes();
for (const [level, ms] of Object.entries(s)) console.log(`headless Chromium median solve, ${level}: ${ms} ms`);
