import type { ObserveFacts } from './facts.ts';
import { hashString } from './hash.ts';
import { HyperLogLog } from './hll.ts';
import { type HeavyHitter, SpaceSaving } from './space-saving.ts';

// Per-tick aggregates, fixed memory: counts by class/verdict/status, distinct sources and URLs
// (HyperLogLog), heavy hitters (space-saving), query character entropy, POST share, origin latency and
// errors. Reset at each tick; summary() is the only allocation and runs once per tick.

const CLASS_INDEX: Record<string, number> = { critical: 0, normal: 1, bulk: 2, static: 3 };
const VERDICT_INDEX: Record<string, number> = { pass: 0, challenge: 1, limit: 2, block: 3 };
const MAX_QUERY_CHARS = 64;
const MAX_UA = 120;
const HH_CAPACITY = 64;
const HH_SAMPLE = 4; // a power of two

/** Counts from the 1-in-HH_SAMPLE sample, scaled back to estimated requests per tick. */
function scaled(xs: HeavyHitter[]): HeavyHitter[] {
  return xs.map((x) => ({ key: x.key, count: x.count * HH_SAMPLE, error: x.error * HH_SAMPLE }));
}

export interface TickSummary {
  readonly requests: number;
  readonly sources: number;
  readonly prefixes: number;
  /** Distinct URLs (path + query) / requests. */
  readonly uniqueUrlRatio: number;
  /** Shannon entropy of query-string characters, bits per character (0 without queries). */
  readonly queryEntropy: number;
  readonly postShare: number;
  /** Origin 5xx / forwarded requests. */
  readonly errorRate: number;
  readonly forwarded: number;
  readonly latencyMeanMs: number;
  readonly latencyMaxMs: number;
  readonly byClass: { critical: number; normal: number; bulk: number; static: number };
  readonly byVerdict: { pass: number; challenge: number; limit: number; block: number };
  readonly byStatus: { '2xx': number; '3xx': number; '4xx': number; '5xx': number; none: number };
  /** Heavy hitters (estimated from a 1-in-4 sample). */
  readonly top: {
    readonly ip: HeavyHitter[];
    readonly prefix: HeavyHitter[];
    readonly path: HeavyHitter[];
    readonly ua: HeavyHitter[];
    readonly fingerprint: HeavyHitter[];
  };
}

export class TickCounters {
  private requests = 0;
  private rand = 0x9e3779b9;
  private posts = 0;
  private forwarded = 0;
  private originErrors = 0;
  private latencySum = 0;
  private latencyMax = 0;
  private readonly byClass = new Uint32Array(4);
  private readonly byVerdict = new Uint32Array(4);
  private readonly byStatus = new Uint32Array(6);
  private readonly queryChars = new Uint32Array(128);
  private queryCharCount = 0;
  private readonly sources = new HyperLogLog(14);
  private readonly prefixes = new HyperLogLog(12);
  private readonly urls = new HyperLogLog(12);
  private readonly hhIp = new SpaceSaving(HH_CAPACITY);
  private readonly hhPrefix = new SpaceSaving(HH_CAPACITY);
  private readonly hhPath = new SpaceSaving(HH_CAPACITY);
  private readonly hhUa = new SpaceSaving(HH_CAPACITY);
  private readonly hhFp = new SpaceSaving(HH_CAPACITY);

  observe(f: ObserveFacts, template: string): void {
    this.requests++;
    if (f.method === 'POST') this.posts++;
    this.byClass[CLASS_INDEX[f.routeClass] ?? 1]++;
    this.byVerdict[VERDICT_INDEX[f.verdict] ?? 0]++;
    this.byStatus[f.status >= 100 && f.status < 600 ? (f.status / 100) | 0 : 0]++;
    if (f.upstreamMs >= 0) {
      this.forwarded++;
      this.latencySum += f.upstreamMs;
      if (f.upstreamMs > this.latencyMax) this.latencyMax = f.upstreamMs;
      if (f.status >= 500) this.originErrors++;
    }
    this.sources.addHash(hashString(f.ip));
    this.prefixes.addHash(hashString(f.prefix));
    const urlHash = hashString(f.query, hashString(f.path));
    this.urls.addHash(urlHash);
    const q = f.query;
    const n = Math.min(q.length, MAX_QUERY_CHARS);
    for (let i = 0; i < n; i++) this.queryChars[q.charCodeAt(i) & 127]++;
    this.queryCharCount += n;
    // Heavy hitters from one request in HH_SAMPLE, drawn at random (xorshift32; a fixed stride would alias
    // with periodic senders): a key heavy enough to matter stays heavy in the sample, and the sketches' map
    // churn under a flood of distinct IPs was most of observe()'s cost.
    let x = this.rand;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rand = x;
    if ((x & (HH_SAMPLE - 1)) === 0) {
      this.hhIp.offer(f.ip);
      this.hhPrefix.offer(f.prefix);
      this.hhPath.offer(template);
      this.hhUa.offer(f.ua.length > MAX_UA ? f.ua.slice(0, MAX_UA) : f.ua);
      this.hhFp.offer(f.fingerprint);
    }
  }

  summary(topN = 5): TickSummary {
    const r = this.requests;
    let entropy = 0;
    if (this.queryCharCount > 0) {
      for (let i = 0; i < 128; i++) {
        const c = this.queryChars[i];
        if (c > 0) {
          const p = c / this.queryCharCount;
          entropy -= p * Math.log2(p);
        }
      }
    }
    const round = (x: number) => Math.round(x * 1000) / 1000;
    return {
      requests: r,
      sources: r === 0 ? 0 : Math.min(r, Math.round(this.sources.estimate())),
      prefixes: r === 0 ? 0 : Math.min(r, Math.round(this.prefixes.estimate())),
      uniqueUrlRatio: r === 0 ? 0 : round(Math.min(1, this.urls.estimate() / r)),
      queryEntropy: round(entropy),
      postShare: r === 0 ? 0 : round(this.posts / r),
      errorRate: this.forwarded === 0 ? 0 : round(this.originErrors / this.forwarded),
      forwarded: this.forwarded,
      latencyMeanMs: this.forwarded === 0 ? 0 : round(this.latencySum / this.forwarded),
      latencyMaxMs: round(this.latencyMax),
      byClass: { critical: this.byClass[0], normal: this.byClass[1], bulk: this.byClass[2], static: this.byClass[3] },
      byVerdict: {
        pass: this.byVerdict[0],
        challenge: this.byVerdict[1],
        limit: this.byVerdict[2],
        block: this.byVerdict[3],
      },
      byStatus: {
        '2xx': this.byStatus[2],
        '3xx': this.byStatus[3],
        '4xx': this.byStatus[4],
        '5xx': this.byStatus[5],
        none: this.byStatus[0] + this.byStatus[1],
      },
      top: {
        ip: scaled(this.hhIp.top(topN)),
        prefix: scaled(this.hhPrefix.top(topN)),
        path: scaled(this.hhPath.top(topN)),
        ua: scaled(this.hhUa.top(topN)),
        fingerprint: scaled(this.hhFp.top(topN)),
      },
    };
  }

  clear(): void {
    this.requests = 0;
    this.posts = 0;
    this.forwarded = 0;
    this.originErrors = 0;
    this.latencySum = 0;
    this.latencyMax = 0;
    this.byClass.fill(0);
    this.byVerdict.fill(0);
    this.byStatus.fill(0);
    this.queryChars.fill(0);
    this.queryCharCount = 0;
    this.sources.clear();
    this.prefixes.clear();
    this.urls.clear();
    this.hhIp.clear();
    this.hhPrefix.clear();
    this.hhPath.clear();
    this.hhUa.clear();
    this.hhFp.clear();
  }
}
