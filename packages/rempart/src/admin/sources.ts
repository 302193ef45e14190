import type { Config } from '../config/schema.ts';
import type { Clock } from '../core/clock.ts';
import type { Detector } from '../detect/detector.ts';
import type { DecisionRecord } from '../obs/decisions.ts';
import type { AdmissionState } from '../pipeline/admission/controller.ts';
import type { DetectSnapshot } from '../pipeline/types.ts';
import type { BanEntry, Store } from '../state/store.ts';

// What the admin API reads and changes, passed by the server as getters so that a config reload or a new
// store is seen without re-creating the listener.

export interface AdminSources {
  readonly clock: Clock;
  /** The state backend in use now. */
  store(): Store;
  /** The running configuration (already validated, secrets resolved: it is redacted before it is shown). */
  config(): Config;
  decisions: { get(id: string): DecisionRecord | undefined; readonly size: number; readonly capacity: number };
  /** Decisions recorded by the other worker threads (their ids carry another prefix); absent with one worker. */
  findDecision?(id: string): Promise<DecisionRecord | undefined>;
  /** Live state of each upstream's admission controller. */
  admission(): readonly AdmissionState[];
  /** Upstream name → healthy now. */
  upstreamHealth(): Readonly<Record<string, boolean>>;
  /** True while every public listener is bound and taking new clients (false once the gateway drains). */
  listenersUp(): boolean;
  /** Prometheus text exposition and its content type. */
  metrics(): Promise<string>;
  readonly metricsContentType: string;
  /** Current detection snapshot, when detection runs. */
  detect?(): DetectSnapshot;
  /** The running detector (explain, operator pin); undefined when detection is off. */
  detector?(): Detector | undefined;
  /** Told of the snapshot an operator pin produced, so stages see the pinned mode at once. */
  onSnapshot?(snapshot: DetectSnapshot): void;
  /** Told of each ban added by an operator (metrics, logs, cluster fan-out). */
  onBan?(entry: BanEntry): void;
  /** Operational log for refused auth and admin changes. */
  log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}
