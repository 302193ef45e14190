import type { CapacityResult } from '../measure/capacity.ts';
import type { LegitRefusal, LegitSummary, PhaseSummary, Second } from '../measure/collector.ts';
import type { TargetName } from '../targets/target.ts';

// report.json, version 1. Documented field by field in packages/lab/README.md; checked by report-schema.ts.

export const REPORT_SCHEMA = 'rempart-lab/report@1';

export interface VectorReport {
  vector: string;
  phase: string;
  kind: 'request' | 'connection' | 'h2';
  stats: Record<string, unknown>;
}

export interface TargetRun {
  status: 'ok';
  target: TargetName;
  legit: LegitSummary;
  /** The first legit steps refused or left challenged (at most 50), with the gateway's rule when it explains. */
  legit_refusals: LegitRefusal[];
  attack: {
    requests: number;
    refused: number;
    errors: number;
    reached_origin: number;
    reached_origin_ratio: number | null;
  };
  time_to_mitigate_s: number | null;
  /** The origin's capacity on the attack's mix, measured in this run before the phases (null: not asked). */
  origin_capacity_rps: number | null;
  capacity: CapacityResult | null;
  /** Attack req/s of the busiest phase ÷ origin_capacity_rps (null without a capacity measure). */
  attack_multiple: number | null;
  attack_peak_phase: string | null;
  collateral: { legit_challenged: number; legit_blocked: number; ratio: number | null };
  gateway: { pid: number | null; cpu_s: number | null; max_rss_mb: number | null; max_fds: number | null };
  origin: {
    kind: 'lab' | 'poste';
    cpu_s: number | null;
    max_in_flight: number;
    legit_requests: number;
    attack_requests: number;
  };
  generator: {
    cpu_s: number;
    max_core_ratio: number;
    saturated: boolean;
    dropped: number;
    max_timer_lateness_ms: number;
  };
  phases: (PhaseSummary & { attack_rps: number; attack_multiple: number | null })[];
  vectors: VectorReport[];
  timeline: Second[];
}

export interface TargetSkipped {
  status: 'skipped' | 'failed';
  target: TargetName;
  reason: string;
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  scenario: {
    name: string;
    description: string;
    quick: boolean;
    origin: 'lab' | 'poste';
    phases: { name: string; duration_s: number; attacks: string[] }[];
  };
  started_at: string;
  finished_at: string;
  machine: { cpus: number; cpu_model: string; mem_gb: number; os: string; node: string };
  targets: Partial<Record<TargetName, TargetRun | TargetSkipped>>;
}
