import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createManualClock } from '../../core/clock.ts';
import type { Deps, RequestCtx } from '../types.ts';
import { AdmissionController, isShed, type Shed, type Ticket } from './controller.ts';
import { createAdmissionStage } from './stage.ts';

const SETTINGS = {
  concurrency: { initial: 2, min: 2, max: 2 },
  queueSize: 2,
  deadlineMs: { critical: 5_000, normal: 1_000, static: 1_000, bulk: 100 },
};

function setup() {
  const clock = createManualClock();
  const c = new AdmissionController('poste', SETTINGS, clock);
  return { clock, c };
}

test('admits up to the limit, then queues, then sheds; release serves the queue by class', async () => {
  const { clock, c } = setup();
  const a = c.acquire('normal', clock.mono()) as Ticket;
  const b = c.acquire('normal', clock.mono()) as Ticket;
  assert.equal(c.inFlight, 2);
  const bulk = c.acquire('bulk', clock.mono());
  const crit = c.acquire('critical', clock.mono());
  assert.ok(bulk instanceof Promise && crit instanceof Promise);
  const refused = c.acquire('bulk', clock.mono());
  assert.deepEqual(refused, { shed: true, cls: 'bulk', reason: 'queue-full' });

  c.release(a, 'done', 10);
  const first = await crit;
  assert.ok(!isShed(first));
  assert.equal(first.cls, 'critical', 'critical is served before the bulk that queued earlier');
  c.release(a, 'done', 10); // a second release of the same ticket is ignored
  assert.equal(c.inFlight, 2);
  c.release(b, 'cancel', 0);
  assert.ok(!isShed(await bulk));
  assert.equal(c.state().queued.bulk, 0);
  c.close();
});

test('a critical arrival evicts a queued bulk one, which is answered as shed', async () => {
  const { clock, c } = setup();
  c.acquire('normal', clock.mono());
  c.acquire('normal', clock.mono());
  const b1 = c.acquire('bulk', clock.mono()) as Promise<Ticket | Shed>;
  c.acquire('bulk', clock.mono());
  c.acquire('critical', clock.mono());
  assert.deepEqual(await b1, { shed: true, cls: 'bulk', reason: 'evicted' });
  assert.equal(c.state().shed.bulk, 1);
  c.close();
});

test('waiters past their class deadline are shed by the sweep even when nothing completes', async () => {
  const { clock, c } = setup();
  c.acquire('normal', clock.mono());
  c.acquire('normal', clock.mono());
  const bulk = c.acquire('bulk', clock.mono()) as Promise<Ticket | Shed>;
  const normal = c.acquire('normal', clock.mono()) as Promise<Ticket | Shed>;
  clock.advance(150);
  c.sweep(clock.mono());
  assert.deepEqual(await bulk, { shed: true, cls: 'bulk', reason: 'deadline' });
  assert.equal(c.state().queued.normal, 1, 'normal (1 s deadline) still waits');
  c.close();
  assert.ok(isShed(await normal), 'close answers every waiter');
});

test('stage: pass sets ctx.release (exactly once), shed gives 503 with the class rule and Retry-After', async () => {
  const { clock, c } = setup();
  const stage = createAdmissionStage({ controllers: { get: () => c }, clock, retryAfterS: () => 9 });
  const ctx = (cls: 'normal' | 'bulk') =>
    ({ route: { name: 'r', routeClass: cls, upstream: 'poste' }, routeClass: cls, trace: [] }) as unknown as RequestCtx;
  const x = ctx('normal');
  const y = ctx('normal');
  assert.deepEqual(stage.run(x, undefined as never), { kind: 'pass' });
  assert.deepEqual(stage.run(y, undefined as never), { kind: 'pass' });
  const q1 = stage.run(ctx('bulk'), undefined as never);
  const q2 = stage.run(ctx('bulk'), undefined as never);
  assert.ok(q1 instanceof Promise && q2 instanceof Promise);
  assert.deepEqual(stage.run(ctx('bulk'), undefined as never), {
    kind: 'limit',
    status: 503,
    rule: 'admission/shed-bulk',
    retryAfterS: 9,
  });
  x.release?.('done');
  x.release?.('done');
  assert.equal(c.inFlight, 2, 'one slot freed once, then taken by the first waiter');
  assert.deepEqual(await q1, { kind: 'pass' });
  assert.equal(c.state().queued.bulk, 1);
  c.close();
  assert.equal((await q2).kind, 'limit');
});

test('stage: under a raised mode a known client waits with normal requests, ahead of bulk ones', async () => {
  const { clock, c } = setup();
  let asked = 0;
  const stage = createAdmissionStage({
    controllers: { get: () => c },
    clock,
    retryAfterS: () => 9,
    priority: (x) => {
      asked++;
      return (x as unknown as { known: boolean }).known;
    },
  });
  const ctx = (cls: 'normal' | 'bulk', known = false) =>
    ({
      route: { name: 'r', routeClass: cls, upstream: 'poste' },
      routeClass: cls,
      trace: [],
      known,
    }) as unknown as RequestCtx;
  const attack = { snapshot: { mode: 'under-attack' } } as unknown as Deps;
  const calm = { snapshot: { mode: 'normal' } } as unknown as Deps;
  const x = ctx('normal');
  assert.deepEqual(stage.run(x, attack), { kind: 'pass' });
  assert.deepEqual(stage.run(ctx('normal'), attack), { kind: 'pass' });
  const stranger = stage.run(ctx('bulk'), attack);
  const person = stage.run(ctx('bulk', true), attack);
  assert.ok(stranger instanceof Promise && person instanceof Promise);
  assert.deepEqual([c.state().queued.bulk, c.state().queued.normal], [1, 1]);
  x.release?.('done');
  assert.deepEqual(await person, { kind: 'pass' }, 'the known client got the freed slot first');
  asked = 0;
  const calmBulk = stage.run(ctx('bulk', true), calm);
  assert.equal(asked, 0, 'in normal mode nobody is asked (a pass is not spent)');
  c.close();
  await Promise.all([stranger, calmBulk]);
});

test('a waiter whose client has gone is dropped at dequeue, not sent to the origin', async () => {
  const { clock, c } = setup();
  const a = c.acquire('normal', clock.mono()) as Ticket;
  c.acquire('normal', clock.mono());
  const owner = { clientGone: false };
  const gone = c.acquire('critical', clock.mono(), owner) as Promise<Ticket | Shed>;
  const waiting = c.acquire('bulk', clock.mono()) as Promise<Ticket | Shed>;
  owner.clientGone = true;
  c.release(a, 'cancel', 0);
  assert.deepEqual(await gone, { shed: true, cls: 'critical', reason: 'client-gone' });
  assert.ok(!isShed(await waiting), 'the freed slot goes to the next live waiter');
  assert.equal(c.state().abandoned, 1);
  assert.equal(c.inFlight, 2);
  c.close();
});

test('stage: Retry-After defaults to the running config (admission.retry_after_s)', () => {
  const { clock, c } = setup();
  const stage = createAdmissionStage({ controllers: { get: () => c }, clock });
  const deps = { policy: { config: { admission: { retry_after_s: 4 } } } } as unknown as Deps;
  const ctx = () =>
    ({
      route: { name: 'r', routeClass: 'bulk', upstream: 'poste' },
      routeClass: 'bulk',
      trace: [],
    }) as unknown as RequestCtx;
  for (let i = 0; i < 4; i++) stage.run(ctx(), deps);
  const v = stage.run(ctx(), deps);
  assert.deepEqual(v, { kind: 'limit', status: 503, rule: 'admission/shed-bulk', retryAfterS: 4 });
  c.close();
});

test('a reload resizes the queue: waiters are kept in serve order, a smaller queue sheds the lowest class', async () => {
  const { clock, c } = setup();
  const a = c.acquire('normal', clock.mono()) as Ticket;
  c.acquire('normal', clock.mono());
  const bulk = c.acquire('bulk', clock.mono());
  const crit = c.acquire('critical', clock.mono());
  c.reconfigure({ ...SETTINGS, queueSize: 1 });
  assert.deepEqual(await bulk, { shed: true, cls: 'bulk', reason: 'queue-full' });
  assert.equal(c.state().queued.critical, 1);
  c.reconfigure({ ...SETTINGS, queueSize: 4 });
  for (let i = 0; i < 3; i++) assert.ok(c.acquire('normal', clock.mono()) instanceof Promise, 'room for more');
  assert.equal(c.state().queued.normal, 3);
  c.release(a, 'done', 10);
  const served = await crit;
  assert.ok(!isShed(served) && served.cls === 'critical');
  c.close();
});
