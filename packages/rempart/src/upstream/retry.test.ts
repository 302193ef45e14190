import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorCode, type RetryFacts, shouldRetry } from './retry.ts';

const base: RetryFacts = {
  method: 'GET',
  hasBody: false,
  responseStarted: false,
  errorCode: 'ECONNREFUSED',
  retried: 0,
};

describe('retry decision', () => {
  const cases: [string, Partial<RetryFacts>, number, boolean][] = [
    ['GET refused', {}, 1, true],
    ['HEAD reset', { method: 'HEAD', errorCode: 'ECONNRESET' }, 1, true],
    ['PUT without body, socket error', { method: 'PUT', errorCode: 'UND_ERR_SOCKET' }, 1, true],
    ['DELETE connect timeout', { method: 'DELETE', errorCode: 'UND_ERR_CONNECT_TIMEOUT' }, 2, true],
    ['OPTIONS refused', { method: 'OPTIONS' }, 1, true],
    ['POST never', { method: 'POST' }, 3, false],
    ['PATCH never', { method: 'PATCH' }, 3, false],
    ['PUT with a streamed body', { method: 'PUT', hasBody: true }, 3, false],
    ['after a response byte', { responseStarted: true }, 3, false],
    ['headers timeout (origin may have acted)', { errorCode: 'UND_ERR_HEADERS_TIMEOUT' }, 3, false],
    ['budget spent', { retried: 1 }, 1, false],
    ['retries disabled', {}, 0, false],
    ['unknown error', { errorCode: undefined }, 1, false],
  ];
  for (const [name, over, max, expected] of cases) {
    it(`${name} → ${expected ? 'retry' : 'answer'}`, () => {
      assert.equal(shouldRetry({ ...base, ...over }, max), expected);
    });
  }

  it('reads the syscall code under an undici socket error', () => {
    assert.equal(errorCode({ code: 'UND_ERR_SOCKET', cause: { code: 'ECONNRESET' } }), 'ECONNRESET');
    assert.equal(errorCode({ code: 'UND_ERR_SOCKET' }), 'UND_ERR_SOCKET');
    assert.equal(errorCode({ code: 'ECONNREFUSED' }), 'ECONNREFUSED');
    assert.equal(errorCode(null), undefined);
  });
});
