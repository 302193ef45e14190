import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { it } from 'node:test';
import { createSecureContext } from 'node:tls';
import { makeThrowawayCert } from './throwaway-cert.ts';

it('every throwaway certificate loads (random serials included) and names localhost and 127.0.0.1', () => {
  // The serial is random: many certificates, so an encoding that fails for some serials shows here.
  for (let i = 0; i < 300; i++) {
    const c = makeThrowawayCert();
    assert.doesNotThrow(() => createSecureContext({ cert: c.cert, key: c.key }), `certificate ${i}`);
    const x = new X509Certificate(c.cert);
    assert.equal(x.serialNumber.length, 32, `serial ${x.serialNumber}: 16 bytes, no padding`);
    if (i === 0) {
      assert.match(String(x.subjectAltName), /DNS:localhost/);
      assert.match(String(x.subjectAltName), /IP Address:127\.0\.0\.1/);
      assert.equal(x.checkHost('localhost'), 'localhost');
    }
  }
});
