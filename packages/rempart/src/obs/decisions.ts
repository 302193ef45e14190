import { fullTrace } from '../pipeline/run.ts';
import type { RequestCtx, TraceLine, Verdict } from '../pipeline/types.ts';

// Recent decisions for the explain API ("why was I blocked?"): a fixed ring of records plus an id → slot map.
// When full, the oldest record is overwritten and its id forgotten, so memory does not grow under flood.

export const DECISIONS_CAPACITY = 50_000;
/** Paths are kept for the explain answer, not for analysis: long ones are cut. */
const MAX_PATH = 256;

export interface DecisionRecord {
  readonly id: string;
  /** Wall-clock ms at accept. */
  readonly at: number;
  /** From accept to the end of the answer (the access log's ms). */
  readonly ms: number;
  readonly ip: string;
  readonly prefix: string;
  readonly method: string;
  readonly path: string;
  readonly route: string | null;
  readonly routeClass: string | null;
  readonly verdict: Verdict['kind'];
  readonly status: number;
  readonly rule: string | null;
  /** Every stage that ran, with the rule ids and dry-run marks. */
  readonly trace: readonly TraceLine[];
}

/** Record every refused request, and passed ones where a dry-run rule matched (to explain what would happen). */
export function worthRecording(ctx: Pick<RequestCtx, 'trace'>, verdict: Verdict): boolean {
  if (verdict.kind !== 'pass') return true;
  for (const t of ctx.trace) if (t.dryRun !== undefined) return true;
  return false;
}

export class DecisionRing {
  readonly capacity: number;
  readonly #slots: (DecisionRecord | undefined)[];
  readonly #byId = new Map<string, number>();
  #next = 0;
  #evictions = 0;

  constructor(capacity = DECISIONS_CAPACITY) {
    this.capacity = capacity;
    this.#slots = new Array<DecisionRecord | undefined>(capacity);
  }

  get size(): number {
    return this.#byId.size;
  }
  get evictions(): number {
    return this.#evictions;
  }

  record(ctx: RequestCtx, verdict: Verdict, status: number, ms: number): void {
    const rec: DecisionRecord = {
      id: ctx.id,
      at: ctx.startedAt,
      ms,
      ip: ctx.client?.ip ?? ctx.peerIp,
      prefix: ctx.client?.prefix ?? '',
      method: ctx.method,
      path: ctx.path.length > MAX_PATH ? ctx.path.slice(0, MAX_PATH) : ctx.path,
      route: ctx.route?.name ?? null,
      routeClass: ctx.routeClass ?? ctx.route?.routeClass ?? null,
      verdict: verdict.kind,
      status,
      rule: verdict.kind === 'pass' ? null : verdict.rule,
      trace: fullTrace(ctx),
    };
    this.put(rec);
  }

  put(rec: DecisionRecord): void {
    const slot = this.#next;
    const old = this.#slots[slot];
    if (old !== undefined) {
      // Only forget the id if it still points here (an id recorded twice keeps its newest slot).
      if (this.#byId.get(old.id) === slot) this.#byId.delete(old.id);
      this.#evictions++;
    }
    this.#slots[slot] = rec;
    this.#byId.set(rec.id, slot);
    this.#next = (slot + 1) % this.capacity;
  }

  get(id: string): DecisionRecord | undefined {
    const slot = this.#byId.get(id);
    return slot === undefined ? undefined : this.#slots[slot];
  }
}
