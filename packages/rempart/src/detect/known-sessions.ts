import type { IncomingHttpHeaders } from 'node:http';
import { LRUCache } from 'lru-cache';
import { readCookie } from '../core/cookie.ts';

// The priority lane's memory of logged-in clients: session cookie values the origin itself issued (seen in
// its Set-Cookie answers), kept in a bounded LRU with a TTL. A bot can send any cookie, but it cannot guess a
// value the origin handed to a real login, so a request that carries one is a known client and keeps its
// access while new visitors are challenged. A session the origin clears (empty value or Max-Age=0) is dropped.

export interface KnownSessionsOptions {
  /** Cookie names the origin uses for its sessions (e.g. poste_session). */
  readonly cookies: readonly string[];
  readonly capacity: number;
  readonly ttlMs: number;
}

export interface KnownSessions {
  /** Learns from one origin answer's Set-Cookie headers; a cleared cookie forgets the value the request sent. */
  learn(requestHeaders: IncomingHttpHeaders, responseHeaders: IncomingHttpHeaders): void;
  /** The request carries a session cookie the origin issued and has not cleared. */
  knows(requestHeaders: IncomingHttpHeaders): boolean;
  readonly size: number;
}

/** name=value from one Set-Cookie line, and whether its attributes clear it. */
function parseSetCookie(line: string): { name: string; value: string; cleared: boolean } | undefined {
  const semi = line.indexOf(';');
  const pair = semi < 0 ? line : line.slice(0, semi);
  const eq = pair.indexOf('=');
  if (eq <= 0) return undefined;
  const name = pair.slice(0, eq).trim();
  const value = pair.slice(eq + 1).trim();
  const attrs = semi < 0 ? '' : line.slice(semi).toLowerCase();
  const cleared =
    value === '' || /;\s*max-age\s*=\s*(0|-)/.test(attrs) || /;\s*expires\s*=\s*thu, 01 jan 1970/.test(attrs);
  return { name, value, cleared };
}

export function createKnownSessions(o: KnownSessionsOptions): KnownSessions {
  const names = new Set(o.cookies);
  const keys = o.cookies.map((n) => `${n}=`);
  const seen = new LRUCache<string, true>({ max: Math.max(1, o.capacity), ttl: o.ttlMs, ttlAutopurge: false });
  return {
    learn(request, response) {
      if (names.size === 0) return;
      const sc = response['set-cookie'];
      if (sc === undefined) return;
      for (const line of Array.isArray(sc) ? sc : [sc]) {
        const c = parseSetCookie(line);
        if (c === undefined || !names.has(c.name)) continue;
        if (!c.cleared) {
          seen.set(`${c.name}=${c.value}`, true);
          continue;
        }
        const old = readCookie(request.cookie, `${c.name}=`);
        if (old !== undefined) seen.delete(`${c.name}=${old}`);
      }
    },
    knows(h) {
      if (keys.length === 0 || h.cookie === undefined) return false;
      for (const key of keys) {
        const v = readCookie(h.cookie, key);
        if (v !== undefined && v !== '' && seen.get(key + v) === true) return true;
      }
      return false;
    },
    get size() {
      return seen.size;
    },
  };
}
