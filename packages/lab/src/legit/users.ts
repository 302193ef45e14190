import http from 'node:http';
import { exchange } from '../load/http-send.ts';
import type { Collector } from '../measure/collector.ts';
import { createRng } from '../vectors/request-shapes.ts';
import { type ChallengeSolver, isChallenge } from './challenge.ts';
import { type Journey, type JourneyCtx, journeys as labJourneys, pickJourney } from './journeys.ts';

// Legit users: each has its own source address, keep-alive connection, cookie jar and think time, like a
// browser or the bank app. Closed loop per user (a person waits for the page), so goodput reflects what
// people would get; each step is measured and classified ok / challenged / blocked / error.

export interface LegitOptions {
  host: string;
  port: number;
  users: number;
  thinkMs: [number, number];
  timeoutMs: number;
  source: (user: number) => string;
  collector: Collector;
  solver: ChallengeSolver;
  seed?: number;
  /** Defaults to the journeys for the lab's own origin. */
  journeys?: Journey[];
  /** The rule behind a refusal's decision id (the gateway's explain API), when the target has one. */
  explain?: (decisionId: string) => Promise<string | undefined>;
}

export interface LegitRun {
  stop(): Promise<void>;
}

const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0 rempart-lab-legit';

export function startLegitUsers(o: LegitOptions): LegitRun {
  let stopping = false;
  const agents: http.Agent[] = [];
  const sleeps = new Set<{ t: NodeJS.Timeout; done: () => void }>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const entry = { t: setTimeout(() => finish(), ms), done: () => finish() };
      function finish() {
        clearTimeout(entry.t);
        sleeps.delete(entry);
        resolve();
      }
      sleeps.add(entry);
    });

  // Asked at once, while the gateway still remembers the decision; the step does not wait for the answer.
  const noteRefusal = (step: string, reply: { status: number; headers: http.IncomingHttpHeaders }) => {
    const id = reply.headers['x-rempart-decision'];
    const rec = o.collector.refusal(step, reply.status, typeof id === 'string' ? id : null);
    if (rec?.decision_id && o.explain)
      o.explain(rec.decision_id).then(
        (rule) => {
          rec.rule = rule ?? null;
        },
        () => {},
      );
  };

  const runUser = async (user: number) => {
    const rng = createRng((o.seed ?? 1) * 7919 + user);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    agents.push(agent);
    const cookies = new Map<string, string>(); // bounded: poste sets a handful
    const extra: Record<string, string> = {}; // clearance headers from a solved challenge
    await sleep(rng() * o.thinkMs[1]); // users do not arrive in lock-step
    while (!stopping) {
      const journey = pickJourney(o.journeys ?? labJourneys, rng);
      const ctx: JourneyCtx = {};
      for (const planned of journey.steps(rng, user)) {
        if (stopping) break;
        const step = planned.prepare ? { ...planned, ...planned.prepare(ctx) } : planned;
        const start = performance.now();
        // A proof's wait for a free lab solver thread: every user's device would solve at once, none would queue.
        let queued = 0;
        const onSolved = (solveMs: number, q: number) => {
          queued += q;
          o.collector.solved(solveMs, q);
        };
        let outcome: 'ok' | 'challenged' | 'blocked' | 'error' = 'error';
        for (let attempt = 0; attempt < 2; attempt++) {
          const headers: Record<string, string> = {
            'user-agent': BROWSER_UA,
            accept: 'application/json, text/html',
            // Legit requests carry the lab's marker too (value 0): its presence tells a gateway nothing.
            'x-lab-attack': '0',
            ...step.headers,
            ...extra,
          };
          if (cookies.size > 0) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
          try {
            const reply = await exchange({
              host: o.host,
              port: o.port,
              method: step.method,
              path: step.path,
              headers,
              body: step.body,
              localAddress: o.source(user),
              agent,
              timeoutMs: o.timeoutMs,
              keepBodyBytes: 16 * 1024,
            });
            for (const c of [reply.headers['set-cookie'] ?? []].flat()) {
              const [pair] = c.split(';', 1);
              const eq = pair.indexOf('=');
              if (eq > 0 && cookies.size < 32) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
            }
            if (reply.status < 400) {
              outcome = 'ok';
              step.capture?.(reply.body, ctx);
            } else if (isChallenge(reply)) {
              outcome = 'challenged';
              const answer =
                attempt === 0
                  ? await o.solver.solve(reply, {
                      host: o.host,
                      port: o.port,
                      localAddress: o.source(user),
                      userAgent: BROWSER_UA,
                      agent,
                      onSolved,
                    })
                  : undefined;
              if (answer) {
                Object.assign(extra, answer);
                continue; // retry the step once with the proof
              }
            } else if (reply.status === 403 || reply.status === 429 || reply.status === 503) outcome = 'blocked';
            else outcome = 'error';
            if (outcome === 'blocked' || outcome === 'challenged') noteRefusal(step.name, reply);
          } catch {
            outcome = 'error';
          }
          break;
        }
        o.collector.legit(step.cls, outcome, performance.now() - start - queued);
        await sleep(o.thinkMs[0] + rng() * (o.thinkMs[1] - o.thinkMs[0]));
      }
    }
  };

  const running = Array.from({ length: o.users }, (_, u) => runUser(u));
  return {
    async stop() {
      stopping = true;
      for (const s of [...sleeps]) s.done();
      await Promise.all(running);
      for (const a of agents) a.destroy();
    },
  };
}
