import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AllocatorError, createUserMemoryAllocator, Status } from '../../src/index.js';
import { allocateN, framing } from './helpers.js';

describe('user-memory allocator', () => {
  it('uses the application-supplied buffers, one per frame, and leaves them usable after delete', () => {
    const mine = Array.from({ length: 3 }, () => new ArrayBuffer(256));
    const a = createUserMemoryAllocator({ buffers: mine });
    a.initialize(null, framing({ frames: 3 }));
    assert.equal(a.kind, 'user');
    const frames = allocateN(a, 3);
    assert.deepEqual(
      frames.map((f) => f.data.buffer).sort((x, y) => mine.indexOf(x as ArrayBuffer) - mine.indexOf(y as ArrayBuffer)),
      mine,
    );
    frames[0]!.data[0] = 42;
    for (const f of frames) a.free(f);
    a.delete();
    assert.equal(
      mine.some((b) => new Uint8Array(b)[0] === 42),
      true,
    );
    assert.equal(mine[0]!.byteLength, 256);
  });

  it('accepts Uint8Array views and uses frameSize bytes of each', () => {
    const big = new ArrayBuffer(4096);
    const views = [new Uint8Array(big, 0, 1024), new Uint8Array(big, 1024, 1024)];
    const a = createUserMemoryAllocator({ buffers: views });
    a.initialize(null, framing({ frames: 2, frameSize: 512 }));
    assert.deepEqual(
      a.frameMemory.map((v) => [v.byteOffset, v.byteLength]),
      [
        [0, 512],
        [1024, 512],
      ],
    );
    a.delete();
  });

  it('creates one ArrayBuffer per frame when none are supplied', () => {
    const a = createUserMemoryAllocator();
    a.initialize(null, framing({ frames: 3, frameSize: 100 }));
    const frames = allocateN(a, 3);
    assert.equal(new Set(frames.map((f) => f.data.buffer)).size, 3);
    for (const f of frames) {
      assert.equal(f.data.byteLength, 100);
      assert.equal(f.data.buffer.byteLength, 100);
    }
    for (const f of frames) a.free(f);
    a.delete();
  });

  it('too few supplied buffers fail initialize with insufficientResources', () => {
    const a = createUserMemoryAllocator({ buffers: [new ArrayBuffer(256)] });
    assert.throws(
      () => a.initialize(null, framing({ frames: 2 })),
      (e: unknown) =>
        e instanceof AllocatorError && e.reason === 'initializeFailed' && e.status === Status.insufficientResources,
    );
  });

  it('a short or misaligned supplied buffer fails initialize naming it', () => {
    const short = createUserMemoryAllocator({ buffers: [new ArrayBuffer(10)] });
    assert.throws(() => short.initialize(null, framing({ frames: 1 })), /options\.buffers\[0\]: 10 bytes/);
    const misaligned = createUserMemoryAllocator({ buffers: [new Uint8Array(new ArrayBuffer(1024), 4, 256)] });
    assert.throws(
      () => misaligned.initialize(null, framing({ frames: 1, fileAlignment: 15 })),
      (e: unknown) => e instanceof AllocatorError && e.status === Status.invalidParameter,
    );
  });

  it('non-buffer entries are TypeErrors naming the index', () => {
    assert.throws(() => createUserMemoryAllocator({ buffers: [new ArrayBuffer(1), 'x' as never] }), {
      name: 'TypeError',
      message: /^options\.buffers\[1\]/,
    });
  });
});
