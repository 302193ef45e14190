// PROXY protocol v2 (binary) header parser: a load balancer prefixes each TCP connection with the real
// client address. Only the parse lives here; the listener decides whom to believe (trusted_proxies).
// Layout: 12-byte signature, ver/cmd byte, family/transport byte, 2-byte length, addresses, TLVs.

export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const FIXED = 16;
/** Longest header we accept (addresses + TLVs); real balancers send far less. Bounds the read buffer. */
export const PROXY_V2_MAX_HEADER = 1024;

export type ProxyHeader =
  | { kind: 'incomplete' }
  | { kind: 'invalid'; reason: string }
  | {
      kind: 'ok';
      /** Bytes to drop from the stream before HTTP starts. */
      length: number;
      /** LOCAL: a health check from the balancer itself; the socket's own peer address stands. */
      command: 'local' | 'proxy';
      source?: { ip: string; port: number };
      destination?: { ip: string; port: number };
    };

const INCOMPLETE: ProxyHeader = { kind: 'incomplete' };

function ipv6At(buf: Buffer, at: number): string {
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i > 0) s += ':';
    s += buf.readUInt16BE(at + i * 2).toString(16);
  }
  // Canonical compressed text ("2001:db8::7"), as sockets report it, so state keys agree. Once per connection.
  return new URL(`http://[${s}]/`).hostname.slice(1, -1);
}

/** Parses a v2 header at the start of `buf`. Returns 'incomplete' while more bytes may make it valid. */
export function parseProxyV2(buf: Buffer): ProxyHeader {
  const sigLen = Math.min(buf.length, PROXY_V2_SIGNATURE.length);
  for (let i = 0; i < sigLen; i++) {
    if (buf[i] !== PROXY_V2_SIGNATURE[i]) return { kind: 'invalid', reason: 'no PROXY v2 signature' };
  }
  if (buf.length < FIXED) return INCOMPLETE;
  const verCmd = buf[12];
  if (verCmd >> 4 !== 2) return { kind: 'invalid', reason: 'unsupported PROXY version' };
  const cmd = verCmd & 0x0f;
  if (cmd > 1) return { kind: 'invalid', reason: 'unknown PROXY command' };
  const famProto = buf[13];
  const bodyLen = buf.readUInt16BE(14);
  const length = FIXED + bodyLen;
  if (length > PROXY_V2_MAX_HEADER) return { kind: 'invalid', reason: 'PROXY header too long' };
  if (buf.length < length) return INCOMPLETE;
  if (cmd === 0) return { kind: 'ok', length, command: 'local' };
  const family = famProto >> 4;
  const transport = famProto & 0x0f;
  if (transport !== 1) return { kind: 'invalid', reason: 'only TCP (STREAM) is supported' };
  if (family === 1) {
    if (bodyLen < 12) return { kind: 'invalid', reason: 'short TCP4 address block' };
    const ip4 = (at: number) => `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
    return {
      kind: 'ok',
      length,
      command: 'proxy',
      source: { ip: ip4(16), port: buf.readUInt16BE(24) },
      destination: { ip: ip4(20), port: buf.readUInt16BE(26) },
    };
  }
  if (family === 2) {
    if (bodyLen < 36) return { kind: 'invalid', reason: 'short TCP6 address block' };
    return {
      kind: 'ok',
      length,
      command: 'proxy',
      source: { ip: ipv6At(buf, 16), port: buf.readUInt16BE(48) },
      destination: { ip: ipv6At(buf, 32), port: buf.readUInt16BE(50) },
    };
  }
  return { kind: 'invalid', reason: 'unsupported address family' };
}

/** Builds a v2 PROXY header (used by tests and the lab to play a load balancer). */
export function encodeProxyV2(
  src: { ip: string; port: number } | undefined,
  dst: { ip: string; port: number } = { ip: '127.0.0.1', port: 0 },
): Buffer {
  if (!src) return Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x20, 0x00, 0, 0])]);
  const v6 = src.ip.includes(':');
  const addrLen = v6 ? 36 : 12;
  const out = Buffer.alloc(16 + addrLen);
  PROXY_V2_SIGNATURE.copy(out, 0);
  out[12] = 0x21;
  out[13] = v6 ? 0x21 : 0x11;
  out.writeUInt16BE(addrLen, 14);
  const put = (ip: string, at: number) => {
    if (!v6) {
      const p = ip.split('.');
      for (let i = 0; i < 4; i++) out[at + i] = Number(p[i]);
      return;
    }
    const halves = ip.split('::');
    const head = halves[0] ? halves[0].split(':') : [];
    const tail = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
    const groups = [...head, ...new Array(8 - head.length - tail.length).fill('0'), ...tail];
    for (let i = 0; i < 8; i++) out.writeUInt16BE(Number.parseInt(groups[i], 16), at + i * 2);
  };
  put(src.ip, 16);
  put(dst.ip, v6 ? 32 : 20);
  out.writeUInt16BE(src.port, v6 ? 48 : 24);
  out.writeUInt16BE(dst.port, v6 ? 50 : 26);
  return out;
}
