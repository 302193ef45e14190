import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock } from '../core/clock.ts';
import type { Mode } from '../pipeline/types.ts';
import { defaultDetectConfig } from './config.ts';
import { createDetector, type Detector, type DetectorSnapshot, type Transition } from './detector.ts';
import type { PressureGauges } from './pressure.ts';
import { ddosiaRequest, legitRequest, prng } from './synthetic-trace.ts';

// Deterministic per-second traces: each tick feeds a synthetic second of traffic, then advances a
// hand-moved clock by one second and ticks.

function setup(over: Record<string, unknown> = {}, gauges: PressureGauges = {}) {
  const clock = createManualClock();
  const transitions: Transition[] = [];
  const cfg = defaultDetectConfig(over);
  const d = createDetector(cfg, clock, { pressure: () => gauges, onTransition: (t) => transitions.push(t) });
  const r = prng(42);
  const modes: Mode[] = [];
  function legit(n: number, upstreamMs = 20): void {
    for (let i = 0; i < n; i++) {
      const f = legitRequest(r, 5_000, upstreamMs);
      // People load the form before posting it.
      if (f.method === 'POST') d.observe({ ...f, method: 'GET' });
      d.observe(f);
    }
  }
  function second(n: number, bots = 0, opts: { upstreamMs?: number; botFp?: string } = {}): DetectorSnapshot {
    legit(n, opts.upstreamMs);
    for (let i = 0; i < bots; i++) d.observe(ddosiaRequest(r, 200_000, opts.botFp));
    clock.advance(1000);
    const s = d.tick();
    modes.push(s.mode);
    return s;
  }
  /** 60 s of ordinary traffic around 200 req/s. */
  function warm(): void {
    for (let t = 0; t < 60; t++) second(180 + Math.floor(r() * 40));
  }
  return { d, clock, second, legit, warm, transitions, modes, gauges, r };
}

function flips(modes: Mode[]): number {
  let n = 0;
  for (let i = 1; i < modes.length; i++) if (modes[i] !== modes[i - 1]) n++;
  return n;
}

describe('detector: traces', () => {
  it('stays normal through warm-up and ordinary jitter', () => {
    const t = setup();
    t.warm();
    for (let i = 0; i < 60; i++) t.second(150 + Math.floor(t.r() * 100));
    assert.deepEqual(new Set(t.modes), new Set(['normal']));
    assert.equal(t.transitions.length, 0);
    assert.equal(t.d.snapshot.shapes.size, 0);
  });

  it('a legit flash crowd (10× with the normal mix) is never under-attack and no shape is acted upon', () => {
    const t = setup();
    t.warm();
    for (let i = 0; i < 30; i++) {
      const s = t.second(2_000 + Math.floor(t.r() * 200));
      assert.notEqual(s.mode, 'under-attack', `tick ${i}`);
      assert.equal(s.shapes.size, 0, `tick ${i}: ${[...s.shapes.keys()]}`);
    }
    assert.equal(t.d.snapshot.mode, 'elevated', 'volume alone is worth watching');
    assert.ok(t.d.explain().shapes.every((s) => !s.flagged));
  });

  it('a legit crowd on a route never seen in peacetime is judged against the usual browser mix', () => {
    const t = setup();
    t.warm();
    const incident = (bot: boolean) => {
      const f = bot ? ddosiaRequest(t.r) : legitRequest(t.r);
      return { ...f, route: 'incident', path: '/incident', query: '', method: 'GET' };
    };
    for (let i = 0; i < 10; i++) {
      t.legit(200);
      for (let k = 0; k < 1_500; k++) t.d.observe(incident(false));
      t.clock.advance(1000);
      const s = t.d.tick();
      assert.notEqual(
        s.mode,
        'under-attack',
        JSON.stringify([t.d.explain().signals, t.d.explain().shapes.slice(0, 3)]),
      );
      assert.equal(
        s.shapes.size,
        0,
        JSON.stringify(
          t.d
            .explain()
            .shapes.filter((x) => x.flagged)
            .slice(0, 2),
        ),
      );
    }
    // A bot on that same new route is still told apart.
    t.legit(200);
    for (let k = 0; k < 1_500; k++) t.d.observe(incident(true));
    t.clock.advance(1000);
    const s = t.d.tick();
    assert.ok([...s.shapes.values()].some((a) => a.key.startsWith('incident|') && a.key.includes('b07b07b0')));
  });

  it('a DDoSia-like flood triggers under-attack within 2 ticks and ranks the bot shape first', () => {
    const t = setup();
    t.warm();
    let ticks = 0;
    for (; ticks < 5 && t.d.snapshot.mode !== 'under-attack'; ticks++) t.second(200, 4_000);
    assert.ok(ticks <= 2, `under-attack after ${ticks} ticks`);
    const ex = t.d.explain();
    assert.ok(ex.shapes[0].flagged);
    assert.ok(ex.shapes[0].key.includes('|b07b07b0|--'), ex.shapes[0].key);
    assert.equal(ex.shapes[0].parts.fingerprint, 'b07b07b0');
    assert.ok(ex.signals.orphan_post_delta.value >= 0.5, 'logins posted without loading the form');
    assert.equal(ex.shapes[0].parts.cookie, false);
    assert.match(ex.shapes[0].parts.template, /^\/(recherche\?q|compte\/connexion)$/);
    // Legit shapes are not flagged, and the bot's two shapes (search GET, login POST) are both acted upon.
    for (const s of ex.shapes) if (!s.key.includes('b07b07b0')) assert.equal(s.flagged, false, s.key);
    const acted = [...t.d.snapshot.shapes.values()];
    assert.equal(acted.length, 2);
    for (const a of acted) {
      assert.ok(a.key.includes('b07b07b0'));
      assert.equal(a.action, 'challenge');
      assert.match(a.rule, /^detect\/shape:[0-9a-f]{8}:under-attack$/);
    }
    const why = t.d.explainRule(acted[0].rule);
    assert.equal(why?.parts.fingerprint, 'b07b07b0');
    assert.equal(why?.action, 'challenge');
    assert.equal(t.d.explainRule('detect/shape:00000000:normal'), undefined);
    assert.equal(t.transitions.at(-1)!.to, 'under-attack');
    assert.ok(t.transitions.at(-1)!.causes.length > 0);
    assert.ok(t.transitions.at(-1)!.topShapes[0].key.includes('b07b07b0'));
  });

  it('escalates a persisting shape: challenge → rate-limit → block, and forgets it after the flood', () => {
    const t = setup({ actions: { rate_limit_after_s: 5, block_after_s: 12, forget_after_s: 10 } });
    t.warm();
    const actions: string[] = [];
    for (let i = 0; i < 15; i++) {
      const s = t.second(200, 3_000);
      actions.push([...s.shapes.values()][0]?.action ?? 'none');
    }
    assert.deepEqual(actions.slice(0, 4), ['challenge', 'challenge', 'challenge', 'challenge']);
    assert.ok(actions.includes('limit'));
    assert.equal(actions.at(-1), 'block');
    const a = [...t.d.snapshot.shapes.values()][0];
    assert.ok(a.rate.emissionMs > 0 && a.rate.emissionMs <= 200, `${a.rate.emissionMs}`);
    for (let i = 0; i < 12; i++) t.second(200);
    assert.equal(t.d.snapshot.shapes.size, 0, 'forgotten');
  });

  it('a flood that starts during warm-up is not learned: judged as soon as warm-up ends', () => {
    const t = setup(); // warmup_ticks 10
    for (let i = 0; i < 5; i++) t.second(200);
    for (let i = 0; i < 5; i++) assert.equal(t.second(200, 3_000).mode, 'normal', 'nothing judged during warm-up');
    const s = t.second(200, 3_000);
    assert.equal(s.mode, 'under-attack');
    assert.ok([...s.shapes.values()].every((a) => a.key.includes('b07b07b0')));
    assert.equal(s.shapes.size, 2);
  });

  it('hysteresis: a signal wobbling around the entry threshold does not flap', () => {
    const t = setup();
    t.warm();
    // Alternating 2.8× / 3.2× the baseline: enters elevated once, never drops back while wobbling.
    for (let i = 0; i < 40; i++) t.second(i % 2 === 0 ? 560 : 640);
    const during = t.modes.slice(60);
    assert.ok(flips(during) <= 1, `flips ${flips(during)}: ${during.join(',')}`);
    assert.equal(t.d.snapshot.mode, 'elevated');
    // Back to normal volume: leaves only after calm ticks and the minimum dwell, once.
    const before = t.modes.length;
    for (let i = 0; i < 30; i++) t.second(200);
    const after = t.modes.slice(before);
    assert.equal(after[0], 'elevated');
    assert.equal(after.at(-1), 'normal');
    assert.equal(flips(after), 1);
  });

  it('under-attack steps down one mode at a time, after its dwell', () => {
    const t = setup();
    t.warm();
    for (let i = 0; i < 5; i++) t.second(200, 4_000);
    assert.equal(t.d.snapshot.mode, 'under-attack');
    const since = t.d.snapshot.since;
    const seq: Mode[] = [];
    for (let i = 0; i < 60; i++) seq.push(t.second(200).mode);
    assert.equal(seq[0], 'under-attack');
    const firstElevated = seq.indexOf('elevated');
    assert.ok(firstElevated >= 25, `left under-attack after ${firstElevated} s (dwell 30 s from ${since})`);
    assert.equal(seq.at(-1), 'normal');
    assert.equal(flips(seq), 2);
  });

  it('low-and-slow: origin latency rising 8× escalates with normal request counts', () => {
    const t = setup();
    t.warm();
    let s = t.second(200, 0, { upstreamMs: 50 }); // 2.5×: within normal variation
    assert.equal(s.mode, 'normal');
    s = t.second(200, 0, { upstreamMs: 170 });
    assert.equal(s.mode, 'under-attack');
    assert.ok(s.pressure >= 0.9);
    assert.equal(t.transitions.at(-1)!.causes[0].signal, 'latency_ratio');
  });

  it('saturated origin concurrency (injected gauge) escalates on its own', () => {
    const t = setup();
    t.warm();
    t.gauges.originInflight = 95;
    t.gauges.originLimit = 100;
    const s = t.second(200);
    assert.equal(s.mode, 'under-attack');
    assert.equal(s.pressure, 0.95);
  });

  it('mode-wide measures engage with origin pressure, stay latched, and end with the episode', () => {
    const t = setup();
    t.warm();
    let s = t.second(200, 4_000);
    s = t.second(200, 4_000);
    assert.equal(s.mode, 'under-attack');
    assert.equal(s.engaged, false, 'origin coping: per-shape actions alone');
    t.gauges.originInflight = 60;
    t.gauges.originLimit = 100;
    s = t.second(200, 4_000);
    assert.equal(s.engaged, true);
    t.gauges.originInflight = 5;
    s = t.second(200, 4_000);
    assert.equal(s.engaged, true, 'latched: does not flap with the pressure it relieves');
    for (let i = 0; i < 90 && s.mode !== 'normal'; i++) s = t.second(200);
    assert.equal(s.mode, 'normal');
    assert.equal(s.engaged, false);
    assert.equal(t.d.pin('elevated').engaged, true, 'a pin engages at once');
  });

  it('operator pin overrides the signals until released', () => {
    const t = setup();
    t.warm();
    let s = t.d.pin('under-attack');
    assert.equal(s.mode, 'under-attack');
    assert.equal(s.pinned, true);
    for (let i = 0; i < 40; i++) s = t.second(200);
    assert.equal(s.mode, 'under-attack');
    s = t.d.pin(undefined);
    assert.equal(s.pinned, false);
    for (let i = 0; i < 60; i++) s = t.second(200);
    assert.equal(s.mode, 'normal');
    assert.deepEqual(
      t.transitions.map((x) => [x.from, x.to, x.pinned]),
      [
        ['normal', 'under-attack', true],
        ['under-attack', 'elevated', false],
        ['elevated', 'normal', false],
      ],
    );
  });

  it('dry-run marks the actions so the stage lets requests pass', () => {
    const t = setup({ actions: { mode: 'dry-run' } });
    t.warm();
    t.second(200, 4_000);
    const acted = [...t.d.snapshot.shapes.values()];
    assert.ok(acted.length > 0);
    assert.ok(acted.every((a) => a.dryRun));
  });

  it('cache-busting flood (random query tokens) raises composition signals', () => {
    const t = setup();
    t.warm();
    const d: Detector = t.d;
    t.second(200, 1_500, { botFp: 'c0ffee01' }); // bot imitating Chrome's fingerprint
    const ex = d.explain();
    assert.ok(ex.signals.unique_url_delta.value >= 0.25, JSON.stringify(ex.signals.unique_url_delta));
    assert.ok(ex.signals.query_entropy_delta.value >= 0.8, JSON.stringify(ex.signals.query_entropy_delta));
    assert.equal(d.snapshot.mode, 'under-attack');
  });
});
