import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

// A self-signed certificate made per run for the targets' TLS listeners (HTTP/2 over TLS needs one):
// ECDSA P-256, CN=localhost, subjectAltName localhost + 127.0.0.1, valid one day. Built with node:crypto and
// a few lines of DER so the lab needs no openssl. The lab's clients do not verify it (rejectUnauthorized: false).

function der(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len =
    n < 0x80
      ? Buffer.from([n])
      : n < 0x100
        ? Buffer.from([0x81, n])
        : n < 0x10000
          ? Buffer.from([0x82, n >> 8, n & 0xff])
          : undefined;
  if (!len) throw new Error('DER element too long for a certificate');
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

const seq = (...p: Buffer[]) => der(0x30, ...p);
const set = (...p: Buffer[]) => der(0x31, ...p);

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const v of rest) {
    const groups: number[] = [];
    let x = v;
    do {
      groups.unshift(x & 0x7f);
      x = Math.floor(x / 128);
    } while (x > 0);
    for (let i = 0; i < groups.length - 1; i++) groups[i] |= 0x80;
    bytes.push(...groups);
  }
  return der(0x06, Buffer.from(bytes));
}

function utcTime(d: Date): Buffer {
  const p = (n: number) => String(n).padStart(2, '0');
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return der(0x17, Buffer.from(s, 'ascii'));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

export interface ThrowawayCert {
  cert: string;
  key: string;
  /** SHA-256 of the certificate's DER, hex (to tell runs apart in logs). */
  fingerprint: string;
}

export function makeThrowawayCert(now = new Date()): ThrowawayCert {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const name = seq(set(seq(oid('2.5.4.3'), der(0x0c, Buffer.from('localhost')))));
  const serial = randomBytes(16);
  // A positive INTEGER in minimal DER: top bit clear, and never a leading zero byte (OpenSSL refuses the
  // padding; with `&= 0x7f` alone one certificate in 128 failed to load).
  serial[0] = (serial[0] & 0x3f) | 0x40;
  const san = seq(
    oid('2.5.29.17'),
    der(0x04, seq(der(0x82, Buffer.from('localhost')), der(0x87, Buffer.from([127, 0, 0, 1])))),
  );
  const basic = seq(oid('2.5.29.19'), der(0x04, seq()));
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))), // v3
    der(0x02, serial),
    ECDSA_SHA256,
    name,
    seq(utcTime(new Date(now.getTime() - 60_000)), utcTime(new Date(now.getTime() + 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    der(0xa3, seq(san, basic)),
  );
  const signature = sign('sha256', tbs, privateKey); // DER-encoded ECDSA signature
  const certDer = seq(tbs, ECDSA_SHA256, der(0x03, Buffer.from([0]), signature));
  const b64 = certDer.toString('base64').replace(/(.{64})/g, '$1\n');
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${b64.trimEnd()}\n-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    fingerprint: createHash('sha256').update(certDer).digest('hex'),
  };
}

/** Writes cert.pem, key.pem and combined.pem (HAProxy's `crt` wants both in one file) into `dir`. */
export function writeThrowawayCert(dir: string): { cert: string; key: string; combined: string } {
  const c = makeThrowawayCert();
  const out = { cert: join(dir, 'tls-cert.pem'), key: join(dir, 'tls-key.pem'), combined: join(dir, 'tls.pem') };
  writeFileSync(out.cert, c.cert);
  writeFileSync(out.key, c.key, { mode: 0o600 });
  writeFileSync(out.combined, c.cert + c.key, { mode: 0o600 });
  return out;
}
