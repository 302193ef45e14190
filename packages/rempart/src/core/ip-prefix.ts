import { isIPv4, isIPv6 } from 'node:net';

// Addresses are handled as 4 × uint32 words (IPv4 in the last word, as ::ffff:a.b.c.d) so one code path
// serves CIDR matching for both families without BigInt on the hot path.

export type Words = [number, number, number, number];

/** Strips the IPv4-mapped IPv6 form Node reports on dual-stack sockets ("::ffff:1.2.3.4" → "1.2.3.4"). */
export function normaliseIp(ip: string): string {
  if (ip.length > 7 && ip.charCodeAt(0) === 58 /* : */ && ip.startsWith('::ffff:') && isIPv4(ip.slice(7))) {
    return ip.slice(7);
  }
  return ip;
}

function v4ToWord(ip: string): number {
  let w = 0;
  let part = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      w = (w << 8) | part;
      part = 0;
    } else part = part * 10 + (c - 48);
  }
  return ((w << 8) | part) >>> 0;
}

/** Parses a valid IPv4 or IPv6 address into words; returns undefined for anything else. */
export function ipToWords(ip: string): Words | undefined {
  if (isIPv4(ip)) return [0, 0, 0xffff, v4ToWord(ip)];
  if (!isIPv6(ip)) return undefined;
  let s = ip;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) > 0) {
    const w = v4ToWord(s.slice(lastColon + 1));
    tail = [w >>> 16, w & 0xffff];
    s = s.slice(0, lastColon + 1) + (s.endsWith('::') ? '' : '0');
    if (s.endsWith(':0')) s = s.slice(0, -2);
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  const head = halves[0] ? halves[0].split(':').map((h) => Number.parseInt(h, 16)) : [];
  const rest = halves.length > 1 && halves[1] ? halves[1].split(':').map((h) => Number.parseInt(h, 16)) : [];
  const groups = new Array<number>(8).fill(0);
  const back = [...rest, ...tail];
  for (let i = 0; i < head.length; i++) groups[i] = head[i];
  for (let i = 0; i < back.length; i++) groups[8 - back.length + i] = back[i];
  return [
    ((groups[0] << 16) | groups[1]) >>> 0,
    ((groups[2] << 16) | groups[3]) >>> 0,
    ((groups[4] << 16) | groups[5]) >>> 0,
    ((groups[6] << 16) | groups[7]) >>> 0,
  ];
}

export interface Cidr {
  readonly text: string;
  readonly words: Words;
  readonly bits: number; // prefix length in the 128-bit space
}

/** Parses "10.0.0.0/8", "2001:db8::/32" or a bare address; throws a plain Error with a readable message. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const words = ipToWords(addr);
  if (!words) throw new Error(`"${text}" is not an IP address or CIDR block`);
  const v4 = isIPv4(addr);
  const max = v4 ? 32 : 128;
  const len = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!Number.isInteger(len) || len < 0 || len > max) throw new Error(`"${text}": prefix length must be 0..${max}`);
  const bits = v4 ? 96 + len : len;
  return { text, words: maskWords(words, bits), bits };
}

function maskWords(w: Words, bits: number): Words {
  const out: Words = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    const keep = Math.max(0, Math.min(32, bits - i * 32));
    out[i] = keep === 0 ? 0 : keep === 32 ? w[i] : (w[i] & (0xffffffff << (32 - keep))) >>> 0;
  }
  return out;
}

export function cidrContains(c: Cidr, w: Words): boolean {
  for (let i = 0; i < 4; i++) {
    const keep = Math.max(0, Math.min(32, c.bits - i * 32));
    if (keep === 0) return true;
    const m = keep === 32 ? w[i] : (w[i] & (0xffffffff << (32 - keep))) >>> 0;
    if (m !== c.words[i]) return false;
  }
  return true;
}

/** A compiled list of CIDR blocks; `has` is a linear scan, fine for the tens of entries operators write. */
export class CidrSet {
  readonly entries: readonly Cidr[];
  constructor(blocks: readonly string[]) {
    this.entries = blocks.map(parseCidr);
  }
  get size(): number {
    return this.entries.length;
  }
  match(ip: string): Cidr | undefined {
    if (this.entries.length === 0) return undefined;
    const w = ipToWords(ip);
    if (!w) return undefined;
    for (const c of this.entries) if (cidrContains(c, w)) return c;
    return undefined;
  }
}

/**
 * The aggregation prefix of a client: /24 for IPv4, /64 for IPv6 (one household or one small server
 * allocation). Returned as text usable as a state key: "192.0.2.0/24", "2001:db8:1:2::/64".
 */
export function clientPrefix(ip: string): string {
  if (isIPv4(ip)) return ip.slice(0, ip.lastIndexOf('.')) + '.0/24';
  const w = ipToWords(ip);
  if (!w) return ip;
  const h = (n: number) => (n >>> 16).toString(16) + ':' + (n & 0xffff).toString(16);
  return `${h(w[0])}:${h(w[1])}::/64`;
}
