import type { IncomingHttpHeaders } from 'node:http';
import { FNV_OFFSET, fmix32, fnvStep, hex8 } from './hash.ts';

// An HTTP fingerprint: what a client program does the same way on every request whatever IP and
// User-Agent it rotates through: header names in the order sent, protocol version, and the exact
// Accept / Accept-Encoding values (set by the HTTP library, rarely by the attacker). Accept-Language is
// reduced to its shape (how many languages, q-values or not) so people of one browser but different
// languages share a fingerprint. Over TLS, the handshake's facts (listeners/tls-print.ts) are mixed in.
// Values that identify a person (cookies, UA text) are not read.

const SKIP_VALUES = new Set(['cookie', 'user-agent', 'host', ':authority', 'content-length', 'referer']);

export function fingerprintHash(headers: IncomingHttpHeaders, httpVersion: string, tlsPrint = 0): number {
  let h = fnvStep(FNV_OFFSET, httpVersion);
  for (const name in headers) {
    h = fnvStep(h, name);
    if (SKIP_VALUES.has(name)) continue;
    if (name === 'accept' || name === 'accept-encoding') {
      const v = headers[name];
      if (typeof v === 'string') h = fnvStep(h, v.length > 200 ? v.slice(0, 200) : v);
    } else if (name === 'accept-language') {
      const v = headers[name];
      if (typeof v === 'string') {
        let commas = 0;
        let q = 0;
        for (let i = 0; i < v.length && i < 200; i++) {
          const c = v.charCodeAt(i);
          if (c === 44) commas++;
          else if (c === 59) q++;
        }
        h = Math.imul(h ^ ((Math.min(commas, 15) << 4) | Math.min(q, 15)), 0x01000193);
      }
    }
  }
  if (tlsPrint !== 0) h = Math.imul(h ^ tlsPrint, 0x01000193);
  return fmix32(h);
}

/** The fingerprint as 8 hex digits (a state key part, a label in explain()). */
export function fingerprint(headers: IncomingHttpHeaders, httpVersion: string, tlsPrint = 0): string {
  return hex8(fingerprintHash(headers, httpVersion, tlsPrint));
}
