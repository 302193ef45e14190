import { decisionIdOf, decisionSeq } from '../core/decision-id.ts';
import type { RequestCtx, RouteClass, TraceLine, Verdict } from '../pipeline/types.ts';
import { SeqIndex } from './decision-index.ts';
import { InternTable, NONE } from './intern.ts';
import { ipv4Text, ipv4Word, isOwnSlash24, slash24Of } from './packed-address.ts';
import { joinWalk, TraceLines, walkNames } from './trace-store.ts';

// Recent decisions for the explain API ("why was I blocked?"): the last `capacity` records in a ring of
// columns. A refusal is recorded on every 429 of a flood, so a record is numbers in typed arrays (interned
// ids for rules, stages, routes and methods; the address packed when it is IPv4) and, as the one string
// kept, the path: nothing per record outlives the young generation but that path, and the id → slot index
// is an integer table (decision-index.ts), not a Map. The record object is rebuilt only when asked for.

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
  const trace = ctx.trace;
  for (let i = 0; i < trace.length; i++) if (trace[i].dryRun !== undefined) return true;
  return false;
}

const VERDICTS: readonly Verdict['kind'][] = ['pass', 'challenge', 'limit', 'block'];
const CLASSES: readonly (RouteClass | null)[] = [null, 'critical', 'normal', 'bulk', 'static'];
/** The address is the uint32 in #ip (else the string in #ipText). */
const FORM_IP4 = 1;
/** The prefix is that IPv4 address's /24 (else the string in #prefixText). */
const FORM_SLASH24 = 2;
/** No prefix (the request was refused before identity ran). */
const FORM_NO_PREFIX = 4;

export class DecisionRing {
  readonly capacity: number;
  readonly #strings = new InternTable();
  readonly #seq: Int32Array;
  readonly #at: Float64Array;
  readonly #ms: Float32Array;
  readonly #status: Uint16Array;
  readonly #verdict: Uint8Array;
  readonly #cls: Uint8Array;
  readonly #method: Int32Array;
  readonly #route: Int32Array;
  readonly #rule: Int32Array;
  readonly #walk: Int32Array;
  readonly #ran: Uint8Array;
  readonly #ip: Uint32Array;
  /** How ip and prefix are kept: FORM_* bits. */
  readonly #form: Uint8Array;
  /** The strings that must stay strings: the path, and addresses or prefixes that do not pack. */
  readonly #path: string[];
  readonly #ipText: (string | undefined)[];
  readonly #prefixText: (string | undefined)[];
  readonly #lines: TraceLines;
  readonly #index: SeqIndex;
  /** Slot of the oldest live record, and how many are live. */
  #head = 0;
  #size = 0;
  #evictions = 0;
  #lastStages: RequestCtx['stages'];
  #lastWalk = '';

  constructor(capacity = DECISIONS_CAPACITY) {
    this.capacity = capacity;
    this.#seq = new Int32Array(capacity);
    this.#at = new Float64Array(capacity);
    this.#ms = new Float32Array(capacity);
    this.#status = new Uint16Array(capacity);
    this.#verdict = new Uint8Array(capacity);
    this.#cls = new Uint8Array(capacity);
    this.#method = new Int32Array(capacity);
    this.#route = new Int32Array(capacity);
    this.#rule = new Int32Array(capacity);
    this.#walk = new Int32Array(capacity);
    this.#ran = new Uint8Array(capacity);
    this.#ip = new Uint32Array(capacity);
    this.#form = new Uint8Array(capacity);
    this.#path = new Array<string>(capacity).fill('');
    this.#ipText = new Array<string | undefined>(capacity).fill(undefined);
    this.#prefixText = new Array<string | undefined>(capacity).fill(undefined);
    // Refusals carry one line, dry-run passes one per matched rule: four per record on average is ample.
    this.#lines = new TraceLines(capacity * 4, capacity, this.#strings);
    this.#index = new SeqIndex(capacity, this.#seq);
  }

  get size(): number {
    return this.#size;
  }
  get evictions(): number {
    return this.#evictions;
  }

  /** Fixed-size backing stores (tests check that recording never grows them). */
  get backing(): readonly ArrayLike<unknown>[] {
    return [this.#seq, this.#path, this.#ipText, this.#prefixText, this.#index.buckets, ...this.#lines.backing];
  }
  /** Distinct strings interned now (bounded by what the live records use). */
  get interned(): number {
    return this.#strings.size;
  }

  /** Records a decision of a request whose id this process made (newCtx); other ids are not kept. */
  record(ctx: RequestCtx, verdict: Verdict, status: number, ms: number): void {
    const seq = decisionSeq(ctx.id);
    if (seq < 0) return;
    const trace = ctx.trace;
    const nLines = Math.min(trace.length, this.#lines.maxPerRecord);
    if (this.#size === this.capacity) this.#evict();
    // Many lines per record could overrun the line store before the ring is full: the oldest go first.
    while (this.#size > 0 && !this.#lines.fits(nLines)) this.#evict();
    const slot = (this.#head + this.#size) % this.capacity;
    this.#size++;
    const s = this.#strings;
    this.#seq[slot] = seq;
    this.#at[slot] = ctx.startedAt;
    this.#ms[slot] = ms;
    this.#status[slot] = status;
    this.#verdict[slot] = VERDICTS.indexOf(verdict.kind);
    const cls = ctx.routeClass ?? ctx.route?.routeClass ?? null;
    this.#cls[slot] = cls === null ? 0 : CLASSES.indexOf(cls);
    this.#method[slot] = s.hold(ctx.method);
    this.#route[slot] = s.hold(ctx.route?.name);
    this.#rule[slot] = s.hold(verdict.kind === 'pass' ? undefined : verdict.rule);
    this.#walk[slot] = ctx.stages === undefined ? NONE : s.hold(this.#walkKey(ctx.stages));
    this.#ran[slot] = ctx.stagesRun ?? 0;
    this.#address(slot, ctx.client?.ip ?? ctx.peerIp, ctx.client?.prefix ?? '');
    this.#path[slot] = ctx.path.length > MAX_PATH ? ctx.path.slice(0, MAX_PATH) : ctx.path;
    this.#lines.append(slot, trace, nLines);
    this.#index.set(seq, slot);
  }

  get(id: string): DecisionRecord | undefined {
    const seq = decisionSeq(id);
    const slot = seq < 0 ? -1 : this.#index.find(seq);
    return slot < 0 ? undefined : this.#rebuild(slot);
  }

  /** The stage names of a walk as one interned string; the stage list only changes on reload. */
  #walkKey(stages: NonNullable<RequestCtx['stages']>): string {
    if (stages !== this.#lastStages) {
      this.#lastStages = stages;
      this.#lastWalk = joinWalk(stages);
    }
    return this.#lastWalk;
  }

  #address(slot: number, ip: string, prefix: string): void {
    const word = ipv4Word(ip);
    let form = 0;
    if (word >= 0) {
      form = FORM_IP4;
      this.#ip[slot] = word;
    } else this.#ipText[slot] = ip;
    if (prefix === '') form |= FORM_NO_PREFIX;
    else if (word >= 0 && isOwnSlash24(prefix, ip)) form |= FORM_SLASH24;
    else this.#prefixText[slot] = prefix;
    this.#form[slot] = form;
  }

  #evict(): void {
    const slot = this.#head;
    const s = this.#strings;
    this.#index.delete(this.#seq[slot], slot);
    s.release(this.#method[slot]);
    s.release(this.#route[slot]);
    s.release(this.#rule[slot]);
    s.release(this.#walk[slot]);
    this.#lines.release(slot);
    this.#path[slot] = '';
    this.#ipText[slot] = undefined;
    this.#prefixText[slot] = undefined;
    this.#head = (slot + 1) % this.capacity;
    this.#size--;
    this.#evictions++;
  }

  #rebuild(slot: number): DecisionRecord {
    const s = this.#strings;
    const form = this.#form[slot];
    const ip = (form & FORM_IP4) !== 0 ? ipv4Text(this.#ip[slot]) : (this.#ipText[slot] ?? '');
    const prefix =
      (form & FORM_NO_PREFIX) !== 0 ? '' : (form & FORM_SLASH24) !== 0 ? slash24Of(ip) : (this.#prefixText[slot] ?? '');
    return {
      id: decisionIdOf(this.#seq[slot]),
      at: this.#at[slot],
      ms: Math.round(this.#ms[slot] * 1000) / 1000,
      ip,
      prefix,
      method: s.text(this.#method[slot]) ?? '',
      path: this.#path[slot],
      route: s.text(this.#route[slot]) ?? null,
      routeClass: CLASSES[this.#cls[slot]],
      verdict: VERDICTS[this.#verdict[slot]],
      status: this.#status[slot],
      rule: s.text(this.#rule[slot]) ?? null,
      trace: this.#lines.expand(slot, walkNames(s.text(this.#walk[slot])), this.#ran[slot]),
    };
  }
}
