import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { newDecisionId } from '../../core/decision-id.ts';
import { writeError } from '../respond.ts';
import type { RequestCtx, RouteClass, Verdict } from '../types.ts';
import { AdmissionController } from './controller.ts';
import { createAdmissionStage } from './stage.ts';

// A slow origin (200 ms per request) behind a minimal front that runs only the admission stage. A flood of
// bulk + normal + critical: critical keeps succeeding, bulk is shed first with 503 + Retry-After, and the
// queue never exceeds its capacity.

const ORIGIN_MS = 200;
const QUEUE = 20;
let origin: Server;
let front: Server;
let frontPort = 0;
let controller: AdmissionController;
let maxQueued = 0;

function listen(s: Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
}

before(async () => {
  origin = createServer((_req, res) => setTimeout(() => res.end('ok'), ORIGIN_MS));
  const originPort = await listen(origin);
  controller = new AdmissionController(
    'poste',
    {
      concurrency: { initial: 4, min: 2, max: 4 },
      queueSize: QUEUE,
      // Generous deadlines: the machine may be loaded; shedding here must come from the full queue.
      deadlineMs: { critical: 20_000, normal: 20_000, static: 20_000, bulk: 20_000 },
    },
    systemClock,
  );
  const stage = createAdmissionStage({
    controllers: { get: () => controller },
    clock: systemClock,
    retryAfterS: () => 7,
  });
  front = createServer(async (req, res) => {
    const cls = (req.headers['x-class'] as RouteClass) ?? 'normal';
    const ctx = {
      id: newDecisionId(),
      headers: req.headers,
      route: { name: cls, routeClass: cls, upstream: 'poste' },
      routeClass: cls,
      trace: [],
    } as unknown as RequestCtx;
    const v: Verdict = await stage.run(ctx, undefined as never);
    const q = controller.state().queued;
    maxQueued = Math.max(maxQueued, q.critical + q.normal + q.static + q.bulk);
    if (v.kind !== 'pass') {
      writeError(res, ctx, v.kind === 'limit' ? v.status : 403, {
        rule: v.rule,
        retryAfterS: v.kind === 'limit' ? v.retryAfterS : undefined,
      });
      return;
    }
    const up = request({ port: originPort, host: '127.0.0.1', path: req.url, agent: false }, (r) => {
      r.resume();
      r.on('end', () => {
        ctx.release?.('done');
        ctx.release?.('done'); // exactly once: the second call must not free a second slot
        res.end('origin ok');
      });
    });
    up.on('error', () => {
      ctx.release?.('cancel');
      res.statusCode = 502;
      res.end();
    });
    up.end();
  });
  frontPort = await listen(front);
});

after(async () => {
  controller.close();
  await new Promise((r) => front.close(r));
  await new Promise((r) => origin.close(r));
});

interface Got {
  cls: RouteClass;
  status: number;
  retryAfter?: string;
  body: string;
}

function get(cls: RouteClass): Promise<Got> {
  return new Promise((resolve, reject) => {
    const r = request({ port: frontPort, host: '127.0.0.1', headers: { 'x-class': cls }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () =>
        resolve({ cls, status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string, body }),
      );
    });
    r.on('error', reject);
    r.setTimeout(60_000, () => r.destroy(new Error('timeout')));
    r.end();
  });
}

test('flood: bulk shed first with 503 + Retry-After, critical keeps succeeding, queue bounded', {
  timeout: 90_000,
}, async () => {
  // Bulk and normal first fill the slots and the queue; then critical arrives into a full queue.
  const flood: Promise<Got>[] = [];
  for (let i = 0; i < 40; i++) flood.push(get('bulk'));
  for (let i = 0; i < 8; i++) flood.push(get('normal'));
  await new Promise((r) => setTimeout(r, 100));
  for (let i = 0; i < 10; i++) flood.push(get('critical'));
  const results = await Promise.all(flood);

  const by = (cls: RouteClass, status: number) => results.filter((r) => r.cls === cls && r.status === status).length;
  assert.equal(by('critical', 200), 10, 'every critical request succeeds');
  assert.equal(by('normal', 200), 8, 'normal requests are not shed while bulk can be');
  assert.ok(by('bulk', 503) >= 10, `bulk shed: ${by('bulk', 503)}`);
  const shed = results.find((r) => r.status === 503);
  assert.ok(shed);
  assert.equal(shed.retryAfter, '7');
  assert.match(shed.body, /Service momentanément surchargé/);
  assert.match(shed.body, /Service temporarily overloaded/);
  assert.ok(maxQueued <= QUEUE, `queue ${maxQueued} <= ${QUEUE}`);
  const st = controller.state();
  assert.equal(st.inFlight, 0, 'every slot was given back exactly once');
  assert.equal(st.queued.bulk + st.queued.normal + st.queued.critical, 0);
  assert.ok(st.shed.bulk >= 10);
  assert.equal(st.shed.critical, 0);
});
