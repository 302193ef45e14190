import { expandTrace } from '../pipeline/run.ts';
import type { Stage, TraceLine, Verdict } from '../pipeline/types.ts';
import { type InternTable, NONE } from './intern.ts';

// The trace lines of decision records, as columns in a ring of its own: records are appended and evicted
// in the same order, so the lines of live records always form one run that ends at the write position, and
// a new record's lines never land on a live record's (the ring evicts early when they would: fits()).
// Only the lines the walk wrote are stored (matched rules, see pipeline/run.ts); passes are implied.

const KINDS: readonly Verdict['kind'][] = ['pass', 'challenge', 'limit', 'block'];
/** A line written outside the walk (no stage index). */
const OUTSIDE = -1;

export class TraceLines {
  /** A record keeps at most this many lines (dozens of dry-run rules matching one request is already odd). */
  readonly maxPerRecord: number;
  readonly #strings: InternTable;
  readonly #stage: Int32Array;
  readonly #rule: Int32Array;
  readonly #detail: Int32Array;
  readonly #kind: Uint8Array;
  /** 0: enforced; else the index in KINDS + 1 of what the dry-run rule would have done. */
  readonly #dry: Uint8Array;
  readonly #at: Int16Array;
  /** Per record slot: first line and count. */
  readonly #first: Int32Array;
  readonly #count: Uint8Array;
  #next = 0;
  #used = 0;

  constructor(lines: number, records: number, strings: InternTable) {
    this.#strings = strings;
    this.maxPerRecord = Math.min(255, lines);
    this.#stage = new Int32Array(lines);
    this.#rule = new Int32Array(lines);
    this.#detail = new Int32Array(lines);
    this.#kind = new Uint8Array(lines);
    this.#dry = new Uint8Array(lines);
    this.#at = new Int16Array(lines);
    this.#first = new Int32Array(records);
    this.#count = new Uint8Array(records);
  }

  get backing(): readonly ArrayLike<unknown>[] {
    return [this.#stage, this.#at, this.#first];
  }

  /** Room for n more lines without touching a live record's. */
  fits(n: number): boolean {
    return this.#used + n <= this.#stage.length;
  }

  /** Stores the first n lines of trace as record slot's lines (the caller made room with fits()). */
  append(slot: number, trace: readonly TraceLine[], n: number): void {
    const cap = this.#stage.length;
    const s = this.#strings;
    this.#first[slot] = this.#next;
    this.#count[slot] = n;
    for (let j = 0; j < n; j++) {
      const t = trace[j];
      const i = this.#next;
      this.#stage[i] = s.hold(t.stage);
      this.#rule[i] = s.hold(t.rule);
      this.#detail[i] = s.hold(t.detail);
      this.#kind[i] = KINDS.indexOf(t.kind);
      this.#dry[i] = t.dryRun === undefined ? 0 : KINDS.indexOf(t.dryRun) + 1;
      this.#at[i] = t.at ?? OUTSIDE;
      this.#next = i + 1 === cap ? 0 : i + 1;
    }
    this.#used += n;
  }

  /** Frees record slot's lines (the oldest live ones). */
  release(slot: number): void {
    const cap = this.#stage.length;
    const s = this.#strings;
    const n = this.#count[slot];
    for (let j = 0, i = this.#first[slot]; j < n; j++, i = i + 1 === cap ? 0 : i + 1) {
      s.release(this.#stage[i]);
      s.release(this.#rule[i]);
      s.release(this.#detail[i]);
    }
    this.#count[slot] = 0;
    this.#used -= n;
  }

  /** Record slot's whole trace, passes spelled out from the walk's stage names. */
  expand(slot: number, names: readonly string[], ran: number): TraceLine[] {
    const cap = this.#stage.length;
    const s = this.#strings;
    const lines: TraceLine[] = [];
    const n = this.#count[slot];
    for (let j = 0, i = this.#first[slot]; j < n; j++, i = i + 1 === cap ? 0 : i + 1) {
      const line: TraceLine = { stage: s.text(this.#stage[i]) ?? '', kind: KINDS[this.#kind[i]] };
      if (this.#rule[i] !== NONE) line.rule = s.text(this.#rule[i]);
      if (this.#dry[i] !== 0) line.dryRun = KINDS[this.#dry[i] - 1];
      if (this.#detail[i] !== NONE) line.detail = s.text(this.#detail[i]);
      if (this.#at[i] !== OUTSIDE) line.at = this.#at[i];
      lines.push(line);
    }
    return expandTrace(names, ran, lines);
  }
}

/** A walk's stage names as one string to intern (names hold no newline). */
export function joinWalk(stages: readonly Stage[]): string {
  return stages.map((s) => s.name).join('\n');
}

export function walkNames(joined: string | undefined): readonly string[] {
  return joined === undefined ? [] : joined.split('\n');
}
