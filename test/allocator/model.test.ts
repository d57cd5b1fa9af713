import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AllocatorError,
  AvStreamError,
  createDefaultAllocator,
  createUserMemoryAllocator,
  createVendorAllocator,
  type FrameAllocator,
  type FrameBuffer,
  PoolType,
  Status,
} from '../../src/index.js';
import { commonBufferVendor, flush, framing } from './helpers.js';

/**
 * Model-based tests: random allocate / free / acquire / abort / delete / deleteWhenIdle sequences run against the
 * allocator and a plain model (a count of frames held, a FIFO of waiter ids, a state).
 */

type Op =
  | { kind: 'allocate' }
  | { kind: 'free'; pick: number }
  | { kind: 'acquire'; abortable: boolean }
  | { kind: 'abort'; pick: number }
  | { kind: 'delete' }
  | { kind: 'deleteWhenIdle' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Op>({ kind: 'allocate' }) },
  { weight: 4, arbitrary: fc.nat(31).map<Op>((pick) => ({ kind: 'free', pick })) },
  { weight: 3, arbitrary: fc.boolean().map<Op>((abortable) => ({ kind: 'acquire', abortable })) },
  { weight: 1, arbitrary: fc.nat(31).map<Op>((pick) => ({ kind: 'abort', pick })) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'delete' }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'deleteWhenIdle' }) },
);

type Outcome = 'pending' | 'served' | 'cancelled' | 'deleted';

interface Waiting {
  readonly id: number;
  readonly controller: AbortController | null;
  /** What the model expects. */
  outcome: Outcome;
  /** What the allocator's promise did. */
  actual: Outcome;
}

/** A fresh allocator for `frames` frames and the most it can hand out (a vendor may have fewer buffers). */
type Factory = (frames: number) => { allocator: FrameAllocator; limit: number; poolType?: number };

async function runModel(factory: Factory, frames: number, alignment: number, ops: Op[]): Promise<void> {
  const { allocator: a, limit, poolType = PoolType.nonPagedPool } = factory(frames);
  a.initialize(null, framing({ frames, frameSize: 200, fileAlignment: alignment - 1, poolType }));
  const held: FrameBuffer[] = [];
  const waiting: Waiting[] = []; // model FIFO of pending waiter ids
  const served: number[] = []; // ids in the order the allocator served them
  let nextId = 0;
  let state: 'live' | 'deletePending' | 'deleted' = 'live';
  let idleResolved = false;

  const problems: unknown[] = []; // assertion failures inside promise reactions, rethrown after each step
  const take = (frame: FrameBuffer): void => {
    for (const h of held) {
      assert.notEqual(h, frame, 'a frame handed out twice');
      if (h.data.buffer === frame.data.buffer) {
        const disjoint =
          h.data.byteOffset + h.data.byteLength <= frame.data.byteOffset ||
          frame.data.byteOffset + frame.data.byteLength <= h.data.byteOffset;
        assert.ok(disjoint, 'two outstanding frames share memory');
      }
    }
    assert.equal(frame.data.byteOffset % alignment, 0, 'alignment');
    assert.ok(frame.data.byteLength >= 200);
    held.push(frame);
  };

  for (const op of ops) {
    switch (op.kind) {
      case 'allocate': {
        if (state !== 'live') {
          assert.throws(
            () => a.allocate(),
            (e: unknown) => e instanceof AllocatorError && e.reason === 'deleted',
          );
          break;
        }
        const frame = a.allocate();
        if (held.length < limit) {
          assert.ok(frame !== null, 'allocate returned null with frames free');
          take(frame);
        } else {
          assert.equal(frame, null);
        }
        break;
      }
      case 'free': {
        if (held.length === 0 || state === 'deleted') break;
        const [frame] = held.splice(op.pick % held.length, 1) as [FrameBuffer];
        a.free(frame);
        const head = waiting.find((w) => w.outcome === 'pending');
        if (head !== undefined) head.outcome = 'served'; // the model: the oldest pending waiter gets the frame
        if (state === 'deletePending' && held.length === 0 && head === undefined) state = 'deleted';
        break;
      }
      case 'acquire': {
        const id = nextId++;
        const controller = op.abortable ? new AbortController() : null;
        const w: Waiting = { id, controller, outcome: 'pending', actual: 'pending' };
        a.acquire(controller?.signal).then(
          (frame) => {
            w.actual = 'served';
            served.push(id);
            try {
              take(frame);
            } catch (error) {
              problems.push(error);
            }
          },
          (e: unknown) => {
            if (e instanceof AllocatorError && e.reason === 'deleted') w.actual = 'deleted';
            else if (e instanceof AvStreamError && e.status === Status.cancelled) w.actual = 'cancelled';
            else problems.push(e);
          },
        );
        if (state !== 'live') {
          w.outcome = 'deleted';
          waiting.push(w);
          break;
        }
        const pendingBefore = waiting.some((x) => x.outcome === 'pending');
        if (!pendingBefore && held.length + countServedUndelivered() < limit) {
          w.outcome = 'served';
        }
        waiting.push(w);
        break;
      }
      case 'abort': {
        // Any abortable waiter: a pending one is cancelled; one already served, rejected or cancelled is unaffected.
        const abortable = waiting.filter((w) => w.controller !== null && !w.controller.signal.aborted);
        if (abortable.length === 0) break;
        const w = abortable[op.pick % abortable.length]!;
        w.controller!.abort();
        if (w.outcome === 'pending') w.outcome = 'cancelled';
        break;
      }
      case 'delete': {
        if (state === 'deleted') {
          a.delete();
          break;
        }
        if (held.length + countServedUndelivered() > 0) {
          assert.throws(
            () => a.delete(),
            (e: unknown) => e instanceof AllocatorError && e.reason === 'framesOutstanding',
          );
          break;
        }
        a.delete();
        for (const w of waiting) if (w.outcome === 'pending') w.outcome = 'deleted';
        state = 'deleted';
        break;
      }
      case 'deleteWhenIdle': {
        if (state === 'deleted') break;
        const idle = a.deleteWhenIdle();
        idle.then(() => {
          idleResolved = true;
        });
        for (const w of waiting) if (w.outcome === 'pending') w.outcome = 'deleted';
        state = held.length + countServedUndelivered() === 0 ? 'deleted' : 'deletePending';
        break;
      }
    }
    await flush();
    // Invariants after every step.
    if (problems.length > 0) throw problems[0];
    assert.deepEqual(
      waiting.map((w) => w.actual),
      waiting.map((w) => w.outcome),
      'each waiter pending, served, cancelled or rejected as the model says',
    );
    assert.ok(a.outstanding <= frames, 'never more than frames outstanding');
    assert.equal(a.outstanding, held.length, 'outstanding = frames the model holds');
    assert.equal(a.state, state === 'deleted' ? 'deleted' : 'initialized');
    if (state !== 'deleted') {
      assert.equal(a.status().pendingAcquires, waiting.filter((w) => w.outcome === 'pending').length);
    }
    assert.deepEqual(
      served,
      waiting.filter((w) => w.outcome === 'served').map((w) => w.id),
      'waiters served in order',
    );
  }

  function countServedUndelivered(): number {
    return waiting.filter((w) => w.outcome === 'served').length - served.length;
  }

  // Teardown: return every frame, then every waiter is settled and the allocator deletes cleanly.
  while (held.length > 0 || waiting.some((w) => w.outcome === 'pending')) {
    const frame = held.pop();
    if (frame === undefined) break;
    a.free(frame);
    const head = waiting.find((w) => w.outcome === 'pending');
    if (head !== undefined) head.outcome = 'served';
    await flush();
  }
  for (const w of waiting) if (w.outcome === 'pending') w.controller?.abort();
  await flush();
  while (held.length > 0) {
    a.free(held.pop()!);
    await flush();
  }
  assert.equal(a.outstanding, 0, 'all frames back at the end');
  if (state !== 'deleted') {
    if (state === 'live') a.delete();
    await flush();
  }
  assert.equal(a.state, 'deleted');
  if (state === 'deletePending') assert.equal(idleResolved, true);
  assert.equal(waiting.filter((w) => w.outcome === 'pending' && w.controller === null).length, 0, 'waiters settled');
}

const modelArb = fc.tuple(
  fc.integer({ min: 1, max: 4 }),
  fc.constantFrom(1, 4, 16, 64),
  fc.array(opArb, { maxLength: 50, size: 'max' }),
);

const FACTORIES: ReadonlyArray<[string, Factory]> = [
  ['default nonpaged', (frames) => ({ allocator: createDefaultAllocator(), limit: frames })],
  ['default paged', (frames) => ({ allocator: createDefaultAllocator(), limit: frames, poolType: PoolType.pagedPool })],
  ['default debug', (frames) => ({ allocator: createDefaultAllocator({ debug: true }), limit: frames })],
  [
    'vendor (common buffer)',
    (frames) => ({ allocator: createVendorAllocator(commonBufferVendor().dispatch), limit: frames }),
  ],
  [
    'vendor with fewer buffers than frames',
    (frames) => {
      const capacity = Math.max(1, frames - 1);
      return { allocator: createVendorAllocator(commonBufferVendor({ capacity }).dispatch), limit: capacity };
    },
  ],
  ['user memory', (frames) => ({ allocator: createUserMemoryAllocator(), limit: frames })],
];

describe('allocator model tests (fast-check)', () => {
  for (const [name, factory] of FACTORIES) {
    it(`${name}: random allocate/free/acquire/abort/delete sequences match the model`, async () => {
      await fc.assert(
        fc.asyncProperty(modelArb, ([frames, alignment, ops]) => runModel(factory, frames, alignment, ops)),
        { numRuns: 100 },
      );
    });
  }
});
