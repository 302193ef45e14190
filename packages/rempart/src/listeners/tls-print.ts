import type { TLSSocket } from 'node:tls';
import { FNV_OFFSET, fmix32, fnvStep } from '../detect/hash.ts';

// What a finished TLS handshake shows of the client's TLS library, hashed once per connection for detection's
// fingerprint: protocol version, the cipher chosen (the server follows the client's preference order), ALPN and
// the signature algorithms both sides share. Node does not expose the raw ClientHello
// (no JA3); these facts follow from the client library's offers and preferences, so one program behind many
// IPs and rotated User-Agents keeps showing the same value (the test shows two client settings apart).

export function tlsPrint(s: TLSSocket): number {
  let h = fnvStep(FNV_OFFSET, s.getProtocol() ?? '');
  h = fnvStep(h, s.getCipher()?.name ?? '');
  h = fnvStep(h, typeof s.alpnProtocol === 'string' ? s.alpnProtocol : '');
  for (const a of s.getSharedSigalgs?.() ?? []) h = fnvStep(h, a);
  // 0 means "no TLS" to the fingerprint.
  return fmix32(h) || 1;
}
