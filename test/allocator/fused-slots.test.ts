import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { SlotPoolAllocator } from '../../src/allocator/slot-pool.js';
import {
  AllocatorError,
  createDefaultAllocator,
  createUserMemoryAllocator,
  type FrameBuffer,
  PoolType,
} from '../../src/index.js';
import { flush, framing } from './helpers.js';

/**
 * The requester's fused allocate/free (`SlotPoolAllocator._allocateSlot` / `_freeSlot`, used as the requester uses
 * them: -1 / false fall back to `allocate()` / `free()`) against the plain `allocate()` / `free()`: two allocators of
 * the same kind driven through the same random operations must give the same results, errors, status, FREEFRAME calls
 * and served acquires after every step.
 */

type Op =
  | { kind: 'allocate' }
  | { kind: 'free'; pick: number }
  | { kind: 'doubleFree'; pick: number }
  | { kind: 'foreignFree'; pick: number }
  | { kind: 'acquire' }
  | { kind: 'listen' }
  | { kind: 'unlisten' }
  | { kind: 'deleteWhenIdle' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.constant<Op>({ kind: 'allocate' }) },
  { weight: 5, arbitrary: fc.nat(31).map<Op>((pick) => ({ kind: 'free', pick })) },
  { weight: 1, arbitrary: fc.nat(31).map<Op>((pick) => ({ kind: 'doubleFree', pick })) },
  { weight: 1, arbitrary: fc.nat(31).map<Op>((pick) => ({ kind: 'foreignFree', pick })) },
  { weight: 2, arbitrary: fc.constant<Op>({ kind: 'acquire' }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'listen' }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'unlisten' }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'deleteWhenIdle' }) },
);

/** One side of the comparison: an allocator, how it allocates and frees, and what it observed. */
class Side {
  readonly held: FrameBuffer[] = [];
  readonly freed: FrameBuffer[] = [];
  readonly log: unknown[] = [];
  frees = 0;
  private off: (() => void) | null = null;

  constructor(
    readonly a: SlotPoolAllocator,
    readonly fused: boolean,
  ) {}

  allocate(): void {
    let buffer: FrameBuffer | null;
    try {
      if (this.fused) {
        const slot = this.a._allocateSlot();
        buffer = slot >= 0 ? this.a._handles[slot]! : this.a.allocate();
      } else {
        buffer = this.a.allocate();
      }
    } catch (e) {
      this.log.push(['allocate threw', reasonOf(e)]);
      return;
    }
    this.log.push(['allocate', buffer === null ? null : buffer.index]);
    if (buffer !== null) this.held.push(buffer);
  }

  free(buffer: FrameBuffer): void {
    try {
      if (!this.fused || !this.a._freeSlot(buffer.index, buffer)) this.a.free(buffer);
      this.log.push(['free', buffer.index]);
    } catch (e) {
      this.log.push(['free threw', reasonOf(e)]);
    }
  }

  acquire(): void {
    this.a.acquire().then(
      (b) => {
        this.log.push(['acquired', b.index]);
        this.held.push(b);
      },
      (e: unknown) => this.log.push(['acquire rejected', reasonOf(e)]),
    );
  }

  listen(): void {
    if (this.off !== null) return;
    this.off = this.a.onFreeFrame(() => this.frees++);
  }

  unlisten(): void {
    this.off?.();
    this.off = null;
  }

  snapshot(): unknown {
    const s = this.a.state === 'deleted' ? null : this.a.status();
    // every slot made is free or outstanding (why _allocateSlot needs no check of the Frames limit)
    if (s !== null) assert.equal(this.a._freeTop + this.a.outstanding, this.a._created);
    assert.ok(this.a._created <= (this.a.framing?.frames ?? 0));
    return {
      state: this.a.state,
      deletePending: this.a.deletePending,
      outstanding: this.a.outstanding,
      status: s === null ? null : { ...s, framing: null },
      frees: this.frees,
      held: this.held.map((b) => b.index),
    };
  }
}

function reasonOf(e: unknown): string {
  return e instanceof AllocatorError ? e.reason : `not an AllocatorError: ${String(e)}`;
}

type Make = () => SlotPoolAllocator;

async function compare(make: Make, frames: number, poolType: number, ops: Op[]): Promise<void> {
  const sides = [new Side(make(), false), new Side(make(), true)] as const;
  const foreign = createDefaultAllocator();
  foreign.initialize(null, framing({ frames: 1, frameSize: 64 }));
  const foreignBuffer = foreign.allocate()!;
  for (const s of sides) s.a.initialize(null, framing({ frames, frameSize: 64, poolType }));
  for (const op of ops) {
    for (const s of sides) {
      switch (op.kind) {
        case 'allocate':
          s.allocate();
          break;
        case 'free':
          if (s.held.length > 0) {
            const [b] = s.held.splice(op.pick % s.held.length, 1) as [FrameBuffer];
            s.freed.push(b);
            s.free(b);
          }
          break;
        case 'doubleFree':
          if (s.freed.length > 0) s.free(s.freed[op.pick % s.freed.length]!);
          break;
        case 'foreignFree':
          s.free(op.pick % 2 === 0 ? foreignBuffer : { data: new Uint8Array(64), allocator: s.a, index: 0 });
          break;
        case 'acquire':
          s.acquire();
          break;
        case 'listen':
          s.listen();
          break;
        case 'unlisten':
          s.unlisten();
          break;
        case 'deleteWhenIdle':
          if (s.a.state !== 'deleted') void s.a.deleteWhenIdle();
          break;
      }
    }
    await flush();
    assert.deepEqual(sides[1].log, sides[0].log, `results after ${op.kind}`);
    assert.deepEqual(sides[1].snapshot(), sides[0].snapshot(), `allocator after ${op.kind}`);
  }
  // Teardown: every frame back, then nothing is outstanding on either side.
  for (const s of sides) {
    s.unlisten();
    while (s.held.length > 0) {
      s.free(s.held.pop()!);
      await flush();
    }
    assert.equal(s.a.outstanding, 0);
  }
  foreign.free(foreignBuffer);
  foreign.delete();
}

const KINDS: ReadonlyArray<[string, Make, number]> = [
  ['default nonpaged', () => createDefaultAllocator(), PoolType.nonPagedPool],
  ['default paged (slots made on first use)', () => createDefaultAllocator(), PoolType.pagedPool],
  ['default debug (the fused path always falls back)', () => createDefaultAllocator({ debug: true }), 0],
  ['user memory', () => createUserMemoryAllocator(), PoolType.nonPagedPool],
];

describe('fused slot allocate/free (the requester path) against allocate()/free()', () => {
  for (const [name, make, poolType] of KINDS) {
    it(`${name}: the same results, errors, status and FREEFRAME calls for random operation sequences`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 4 }),
          fc.array(opArb, { maxLength: 40, size: 'max' }),
          (frames, ops) => compare(make, frames, poolType, ops),
        ),
        { numRuns: 80 },
      );
    });
  }

  it('_allocateSlot leaves every decision to allocate(): not initialized, deletion pending, deleted, exhausted, debug', async () => {
    const a = createDefaultAllocator();
    assert.equal(a._allocateSlot(), -1, 'created (allocate() throws notInitialized)');
    a.initialize(null, framing({ frames: 2, frameSize: 64 }));
    const s0 = a._allocateSlot();
    const s1 = a._allocateSlot();
    assert.deepEqual([s0, s1], [0, 1], 'slot order from a fresh pool, as allocate()');
    assert.equal(a.outstanding, 2);
    assert.equal(a.status().highWaterMark, 2);
    assert.equal(a._allocateSlot(), -1, 'exhausted');
    assert.equal(a.status().failures, 0, 'the fused path counts no failure (allocate() does, when it is called)');
    assert.equal(a._freeSlot(s1, a._handles[s1]!), true);
    const idle = a.deleteWhenIdle();
    assert.equal(a._allocateSlot(), -1, 'deletion pending');
    assert.equal(a._freeSlot(s0, a._handles[s0]!), false, 'the last free of a pending deletion is free()’s');
    a.free(a._handles[s0]!);
    await idle;
    assert.equal(a._allocateSlot(), -1, 'deleted');
    const d = createDefaultAllocator({ debug: true });
    d.initialize(null, framing({ frames: 2, frameSize: 64 }));
    assert.equal(d._allocateSlot(), -1, 'debug: a fresh handle per allocation, from allocate()');
    d.delete();
  });
});
