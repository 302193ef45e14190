import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { type LabOrigin, startLabOrigin } from '../origin/lab-origin.ts';
import { exchange } from './http-send.ts';
import { createPoolAllocator, OWN_PREFIX, poolAddress, sourceAddress } from './sources.ts';

describe('loopback source addresses', () => {
  let origin: LabOrigin | undefined;
  after(async () => {
    await origin?.close();
  });

  test('addresses are distinct, inside 127/8 and skip .0 / .255 host bytes', () => {
    const cases: [number, string][] = [
      [0, '127.10.0.1'],
      [253, '127.10.0.254'],
      [254, '127.10.1.1'],
      [254 * 256, '127.11.0.1'],
    ];
    for (const [i, want] of cases) assert.equal(sourceAddress(i), want);
    const seen = new Set<string>();
    for (let i = 0; i < 70_000; i++) seen.add(sourceAddress(i));
    assert.equal(seen.size, 70_000);
    assert.throws(() => sourceAddress(-1), RangeError);
  });

  test('pools do not overlap and wrap inside themselves', () => {
    const alloc = createPoolAllocator();
    const a = alloc('legit', 10);
    const b = alloc('attack', 5);
    assert.equal(poolAddress(a, 10), poolAddress(a, 0));
    assert.notEqual(poolAddress(a, 9), poolAddress(b, 0));
    assert.equal(b.first, 10);
  });

  test('a spread pool puts each member in its own /24, and the next pool after them', () => {
    const alloc = createPoolAllocator();
    const people = alloc('legit', 3, OWN_PREFIX);
    const bots = alloc('attack', 2);
    assert.deepEqual(
      [0, 1, 2, 3].map((k) => poolAddress(people, k)),
      ['127.10.0.1', '127.10.1.1', '127.10.2.1', '127.10.0.1'],
    );
    assert.equal(poolAddress(bots, 0), '127.10.3.1');
  });

  test('a server sees N distinct peers when N sources each send one request', async () => {
    origin = await startLabOrigin({ cpuMs: 0 });
    const n = 300;
    const o = origin;
    for (let k = 0; k < n; k += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          exchange({
            host: o.host,
            port: o.port,
            method: 'GET',
            path: '/status',
            localAddress: sourceAddress(k + j),
            timeoutMs: 15_000,
          }),
        ),
      );
    }
    assert.equal(o.counters().distinct_peers, n);
  });
});
