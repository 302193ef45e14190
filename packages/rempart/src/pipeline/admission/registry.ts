import type { Config } from '../../config/schema.ts';
import type { Clock } from '../../core/clock.ts';
import { AdmissionController, type AdmissionSettings, type AdmissionState } from './controller.ts';

// One controller per upstream, made from the config and kept across reloads (the learned limit survives a
// reload; an upstream removed from the config has its waiters answered and its controller dropped).

export function admissionSettings(config: Config, upstream: string): AdmissionSettings | undefined {
  const u = config.upstreams.find((x) => x.name === upstream);
  if (u === undefined) return undefined;
  return {
    concurrency: u.concurrency,
    queueSize: config.admission.queue_size,
    deadlineMs: config.admission.deadline_ms,
  };
}

export class AdmissionRegistry {
  readonly #clock: Clock;
  readonly #byUpstream = new Map<string, AdmissionController>();

  constructor(config: Config, clock: Clock) {
    this.#clock = clock;
    this.reconfigure(config);
  }

  get(upstream: string): AdmissionController | undefined {
    return this.#byUpstream.get(upstream);
  }

  reconfigure(config: Config): void {
    const seen = new Set<string>();
    for (const u of config.upstreams) {
      seen.add(u.name);
      const s = admissionSettings(config, u.name) as AdmissionSettings;
      const c = this.#byUpstream.get(u.name);
      if (c === undefined) this.#byUpstream.set(u.name, new AdmissionController(u.name, s, this.#clock));
      else c.reconfigure(s);
    }
    for (const [name, c] of this.#byUpstream) {
      if (seen.has(name)) continue;
      c.close();
      this.#byUpstream.delete(name);
    }
  }

  /** Live state of every controller (admin /api/state, metrics collect callbacks). */
  states(): AdmissionState[] {
    const out: AdmissionState[] = [];
    for (const c of this.#byUpstream.values()) out.push(c.state());
    return out;
  }

  close(): void {
    for (const c of this.#byUpstream.values()) c.close();
    this.#byUpstream.clear();
  }
}
