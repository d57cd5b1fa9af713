import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeFrameLayout, isCacheAlignedPoolType, isKnownPoolType, PoolType, poolKind } from '../../src/index.js';
import { Slab, supportsResizableArrayBuffer } from '../../src/memory/slab.js';

describe('memory: slab', () => {
  it('a slab committed up front is a plain ArrayBuffer of its full size', () => {
    const slab = new Slab({ maxByteLength: 1000, initialByteLength: 1000, shared: false });
    assert.equal(slab.byteLength, 1000);
    assert.equal((slab.buffer as unknown as { resizable: boolean }).resizable, false);
    assert.equal(slab.ensure(1000), true);
  });

  it('a lazy slab grows by doubling up to its maximum and keeps earlier views valid', () => {
    assert.equal(supportsResizableArrayBuffer(), true);
    const slab = new Slab({ maxByteLength: 5000, initialByteLength: 0, shared: false });
    assert.equal(slab.byteLength, 0);
    assert.equal(slab.ensure(1000), true);
    assert.equal(slab.byteLength, 1000);
    const view = new Uint8Array(slab.buffer, 0, 1000);
    view[999] = 9;
    assert.equal(slab.ensure(1001), true);
    assert.equal(slab.byteLength, 2000);
    assert.equal(slab.ensure(4500), true);
    assert.equal(slab.byteLength, 4500);
    assert.equal(slab.ensure(4600), true);
    assert.equal(slab.byteLength, 5000);
    assert.equal(view[999], 9);
    assert.equal(slab.ensure(6000), false); // beyond the maximum: refused, nothing changed
    assert.equal(slab.byteLength, 5000);
  });

  it('a shared lazy slab is a growable SharedArrayBuffer', () => {
    const slab = new Slab({ maxByteLength: 4096, initialByteLength: 0, shared: true });
    assert.ok(slab.buffer instanceof SharedArrayBuffer);
    assert.equal(slab.ensure(100), true);
    assert.equal(slab.byteLength, 100);
  });
});

describe('memory: layout and pool types', () => {
  it('computeFrameLayout rounds the prefix and the stride up to the alignment', () => {
    assert.deepEqual(computeFrameLayout(100, 63, 10, 5), {
      frameSize: 100,
      alignment: 64,
      prefix: 10,
      padding: 5,
      dataOffset: 64,
      stride: 192,
    });
    assert.equal(computeFrameLayout(4096, 0, 0, 0).stride, 4096);
  });

  it('pool types map to paged / nonPaged and cache alignment', () => {
    assert.equal(poolKind(PoolType.pagedPool), 'paged');
    assert.equal(poolKind(PoolType.pagedPoolCacheAligned), 'paged');
    for (const t of [PoolType.nonPagedPool, PoolType.nonPagedPoolCacheAligned, PoolType.nonPagedPoolNx]) {
      assert.equal(poolKind(t), 'nonPaged');
    }
    assert.deepEqual([0, 1, 4, 5, 512].map(isCacheAlignedPoolType), [false, false, true, true, false]);
    assert.deepEqual([0, 1, 2, 4, 5, 512, 513].map(isKnownPoolType), [true, true, false, true, true, true, false]);
  });
});
