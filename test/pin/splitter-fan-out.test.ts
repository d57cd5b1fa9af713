import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ProcessPinIndexEntry } from '../../src/filter/process-pin.js';
import { CircuitFrame } from '../../src/pin/circuit-frame.js';
import { connectPins, type Pin } from '../../src/pin/pin.js';
import { Communication, DataFlow, type PinDescriptorEx } from '../../src/pin/pin-descriptor.js';
import { PinFlags } from '../../src/pin/pin-flags.js';
import {
  clearDelegateBranches,
  delegateBranchesOf,
  setDelegateBranches,
} from '../../src/processing/splitter-branches.js';
import { KsReset, KsState } from '../../src/state.js';
import { Status } from '../../src/status.js';
import type { StreamPointer } from '../../src/stream/stream-pointer.js';
import { StreamPointerState } from '../../src/stream/stream-pointer.js';
import { Collector, makeFilter, pinDescriptor, streamFormat } from './helpers.js';

const splitterOut = (over: Partial<PinDescriptorEx> = {}) =>
  pinDescriptor({
    dataFlow: DataFlow.out,
    communication: Communication.source,
    flags: PinFlags.splitter,
    instancesPossible: 4,
    ...over,
  });

/**
 * A splitter (pin-centric, no process routine: the test ejects the delegate's frames itself) with a delegate and
 * `branches` delegate branches, each connected to an input pin of a downstream filter (frames wait there).
 */
function splitRig(branches: number, downstreamFlags = 0) {
  const split = makeFilter([pinDescriptor({ instancesPossible: 1 }), splitterOut()]);
  const down = makeFilter([pinDescriptor({ instancesPossible: 8, flags: downstreamFlags })]);
  const outs: Pin[] = [];
  const ins: Pin[] = [];
  for (let k = 0; k <= branches; k++) {
    const out = split.filter.createPin(1, streamFormat);
    const inp = down.filter.createPin(0, streamFormat);
    connectPins(out, inp);
    outs.push(out);
    ins.push(inp);
  }
  const fanOut = setDelegateBranches(outs[0]!, outs.slice(1), { frames: 2 });
  for (const p of [...ins, ...outs]) p.setState(KsState.pause);
  const frames = new Collector();
  /** The driver sends one frame out of the delegate. */
  const emit = (tag: number): void => {
    const f = frames.frame(8, tag);
    f.data![0] = tag;
    f.header.presentationTime.time = tag;
    outs[0]!.queue!.add(f);
    outs[0]!.getLeadingEdge(StreamPointerState.locked)!.unlock(true);
  };
  return { split, down, outs, ins, fanOut, frames, emit };
}

describe('splitter fan-out (DelegateBranch)', () => {
  it('every branch gets a view of the same bytes and metadata; the frame returns once, after the last view', () => {
    const { ins, fanOut, frames, emit } = splitRig(2);
    emit(7);
    const leads = ins.map((p) => p.getLeadingEdge(StreamPointerState.locked)!);
    const parent = frames.returned.length === 0 ? null : frames.returned[0];
    assert.equal(parent, null, 'not back while views are out');
    const bytes = leads.map((l) => l.frame!.data!);
    assert.equal(bytes[0], bytes[1]);
    assert.equal(bytes[1], bytes[2], 'the same Uint8Array: no copy');
    assert.deepEqual(
      leads.map((l) => l.streamHeader!.presentationTime.time),
      [7, 7, 7],
    );
    assert.equal(fanOut.inFlight, 1);
    for (const [k, l] of [leads[2], leads[0], leads[1]].entries()) {
      l!.unlock(true);
      assert.equal(frames.returned.length, k === 2 ? 1 : 0);
    }
    assert.equal(frames.statuses[0], Status.success);
    assert.equal(fanOut.inFlight, 0);
    assert.equal(frames.outstanding, 0);
  });

  it('a branch whose pin is stopped, resetting, closed or unconnected gets no view; with no live branch the frame goes on alone', () => {
    const { outs, ins, fanOut, frames, emit } = splitRig(2);
    outs[1]!.setState(KsState.stop);
    outs[2]!.setResetState(KsReset.begin);
    emit(1);
    assert.equal(fanOut.fannedOut, 0, 'no live branch: no fan-out');
    assert.equal(ins[1]!.queue!.length, 0);
    assert.equal(ins[0]!.queue!.length, 1);
    outs[2]!.setResetState(KsReset.end);
    emit(2);
    assert.equal(fanOut.fannedOut, 1);
    assert.equal(ins[2]!.queue!.length, 1);
    outs[2]!.close();
    emit(3);
    assert.equal(ins[2]!.queue!.length, 1, 'closed: no view');
    for (const p of ins) p.setState(KsState.stop);
    assert.equal(frames.outstanding, 0);
    assert.equal(new Set(frames.returned).size, frames.returned.length);
  });

  it('a view that fails (status set by a consumer) makes the frame return with that status', () => {
    const { ins, frames, emit } = splitRig(1);
    emit(1);
    const lead = ins[1]!.getLeadingEdge(StreamPointerState.locked)!;
    lead.setStatusCode(Status.deviceNotReady);
    lead.unlock(true);
    ins[0]!.getLeadingEdge(StreamPointerState.locked)!.unlock(true);
    assert.deepEqual(frames.statuses, [Status.deviceNotReady]);
  });

  it('setDelegateBranches: argument errors, STOP only; clearDelegateBranches restores the copy roles', () => {
    const { filter } = makeFilter([splitterOut(), pinDescriptor({ dataFlow: DataFlow.out, instancesPossible: 2 })]);
    const a = filter.createPin(0, streamFormat);
    const b = filter.createPin(0, streamFormat);
    const plain = filter.createPin(1, streamFormat);
    assert.throws(() => setDelegateBranches(plain, []), TypeError);
    assert.throws(() => setDelegateBranches(a, [plain]), TypeError);
    assert.throws(() => setDelegateBranches(a, [a]), TypeError);
    assert.throws(() => setDelegateBranches(a, [], { frames: 0 }), RangeError);
    assert.throws(() => setDelegateBranches(a, [b, b]), /listed once/);
    b.setState(KsState.acquire);
    assert.throws(
      () => setDelegateBranches(a, [b]),
      (e: unknown) => e instanceof Error && 'status' in e && e.status === Status.invalidDeviceState,
    );
    b.setState(KsState.stop);
    const fan = setDelegateBranches(b, [a]);
    assert.equal(delegateBranchesOf(b), fan);
    const entry = filter.processPinIndex[0]!;
    assert.deepEqual(
      entry.pins.map((p) => p.pin),
      [b, a],
      'the delegate is listed first',
    );
    assert.equal(entry.pins[1]!.delegateBranch, entry.pins[0]);
    assert.equal(entry.pins[1]!.copySource, null);
    clearDelegateBranches(b);
    assert.equal(delegateBranchesOf(b), null);
    assert.equal(b._fanOut, null);
    assert.deepEqual(
      filter.processPinIndex[0]!.pins.map((p) => p.pin),
      [a, b],
    );
    assert.equal(filter.processPinIndex[0]!.pins[1]!.copySource, filter.processPinIndex[0]!.pins[0]);
    assert.equal(filter.processPinIndex[0]!.pins[1]!.delegateBranch, null);
  });

  it('filter-centric gating: a delegate branch does not wait for a frame of its own (a copy branch does)', () => {
    let calls = 0;
    const { filter } = makeFilter([pinDescriptor({ instancesPossible: 1 }), splitterOut()], {
      process: (_f, index: readonly ProcessPinIndexEntry[]) => {
        calls++;
        const inp = index[0]!.pins[0]!;
        const out = index[1]!.pins[0]!;
        out.data!.set(inp.data!.subarray(0, 4));
        out.bytesUsed = 4;
        inp.bytesUsed = inp.bytesAvailable;
        return Status.success;
      },
    });
    const inp = filter.createPin(0, streamFormat);
    const out = filter.createPin(1, streamFormat);
    const branch = filter.createPin(1, streamFormat);
    const frames = new Collector();
    for (const p of [inp, out, branch]) p.setState(KsState.pause);
    frames.feed(out, 1, 4);
    frames.feed(inp, 1, 4);
    assert.equal(calls, 0, 'a copy branch without a frame blocks the filter');
    for (const p of [inp, out, branch]) p.setState(KsState.stop);
    setDelegateBranches(out, [branch]);
    for (const p of [inp, out, branch]) p.setState(KsState.pause);
    frames.feed(out, 1, 4);
    frames.feed(inp, 1, 4);
    assert.equal(calls, 1, 'the delegate branch needs no frame of its own');
    for (const p of [inp, out, branch]) p.setState(KsState.stop);
    assert.equal(frames.outstanding, 0);
  });

  it('a frame sent while another is being fanned out (from a consumer processing it) gets its own branch set', () => {
    const split = makeFilter([pinDescriptor({ instancesPossible: 1 }), splitterOut()]);
    let nested: (() => void) | null = null;
    const down = makeFilter([
      pinDescriptor({
        instancesPossible: 4,
        dispatch: {
          process: () => {
            const run = nested;
            nested = null;
            run?.(); // inside the first view's processing: another frame leaves the delegate
            return Status.pending;
          },
        },
      }),
    ]);
    const outs = [0, 1, 2].map(() => split.filter.createPin(1, streamFormat));
    const ins = outs.map((out) => {
      const inp = down.filter.createPin(0, streamFormat);
      connectPins(out, inp);
      return inp;
    });
    const fanOut = setDelegateBranches(outs[0]!, outs.slice(1), { frames: 1 });
    for (const p of [...ins, ...outs]) p.setState(KsState.pause);
    const frames = new Collector();
    const emit = (): void => {
      outs[0]!.queue!.add(frames.frame(4));
      outs[0]!.getLeadingEdge(StreamPointerState.locked)!.unlock(true);
    };
    nested = () => {
      outs[2]!.setState(KsState.stop); // the second frame goes to branches 0 and 1 only
      emit();
    };
    emit();
    assert.equal(fanOut.fannedOut, 2);
    assert.equal(fanOut.viewsSent, 5, 'frame 1 to three consumers, frame 2 to two');
    assert.deepEqual(
      ins.map((p) => p.queue!.length),
      [2, 2, 1],
    );
    assert.equal(fanOut.capacity, 2, 'a second record was built for the frame fanned out meanwhile');
    for (const p of ins) p.setState(KsState.stop);
    assert.equal(frames.outstanding, 0);
    assert.equal(new Set(frames.returned).size, 2);
    assert.equal(fanOut.inFlight, 0);
  });

  it('an allocator frame keeps its record: each view always shows the same buffer, whatever the return order', () => {
    const { ins, fanOut, frames } = splitRig(1);
    const outs0 = ins[0]!.peer!;
    const buffers = [0, 1].map((index) => ({ index, data: new Uint8Array(4), allocator: null as never }));
    const parents = buffers.map((b) => new CircuitFrame(frames, b));
    const send = (k: number): void => {
      parents[k]!.reset();
      parents[k]!.header.dataUsed = 4; // (a zero-length frame would bypass the consumers)
      outs0.queue!.add(parents[k]!);
      outs0.getLeadingEdge(StreamPointerState.locked)!.unlock(true);
    };
    const viewAt = (consumer: number) => {
      const lead = ins[consumer]!.getLeadingEdge(StreamPointerState.locked)!;
      const view = lead.frame!;
      lead.unlock(false);
      return view;
    };
    const completeAll = (consumer: number) => {
      for (let lead = ins[consumer]!.getLeadingEdge(StreamPointerState.locked); lead !== null; ) {
        lead.unlock(true);
        lead = ins[consumer]!.getLeadingEdge(StreamPointerState.locked);
      }
    };
    send(0);
    const viewOf0 = viewAt(1);
    send(1);
    // frame 1 comes back before frame 0: consumer 1 keeps frame 0's view (a clone) while it finishes frame 1's
    completeAll(0);
    const lead = ins[1]!.getLeadingEdge(StreamPointerState.locked)!;
    const hold = lead.clone();
    lead.unlock(true);
    completeAll(1);
    assert.deepEqual(
      frames.returned.map((f) => f.buffer!.index),
      [1],
    );
    hold.delete();
    assert.equal(fanOut.inFlight, 0);
    send(1); // the most recently freed record (frame 0's) is not taken: frame 1 has its own
    assert.notEqual(viewAt(1), viewOf0);
    completeAll(0);
    completeAll(1);
    send(0);
    assert.equal(viewAt(1), viewOf0, 'frame 0 comes back to the same view');
    assert.equal(viewAt(1).data, buffers[0]!.data);
    completeAll(0);
    completeAll(1);
    assert.equal(fanOut.capacity, 2);
  });

  it('ENFORCE_FIFO downstream: views complete in arrival order at each consumer; every frame returns once', () => {
    const { ins, frames, emit } = splitRig(1, PinFlags.enforceFifo);
    emit(1);
    emit(2);
    // consumer 1 finishes frame 2 before frame 1 (clones hold them): FIFO keeps frame 2 waiting.
    const lead = ins[1]!.getLeadingEdge(StreamPointerState.locked)!;
    const c1 = lead.clone();
    lead.unlock(true);
    const lead2 = ins[1]!.getLeadingEdge(StreamPointerState.locked)!;
    const c2 = lead2.clone();
    lead2.unlock(true);
    for (let k = 0; k < 2; k++) ins[0]!.getLeadingEdge(StreamPointerState.locked)!.unlock(true);
    c2.delete();
    assert.equal(frames.returned.length, 0, 'frame 2 waits for frame 1 at consumer 1');
    c1.delete();
    assert.deepEqual(
      frames.returned.map((f) => f.context),
      [1, 2],
    );
  });
});

type Op =
  | { kind: 'emit' }
  | { kind: 'complete'; at: number }
  | { kind: 'hold'; at: number }
  | { kind: 'release'; pick: number }
  | { kind: 'fail'; at: number }
  | { kind: 'flush'; at: number }
  | { kind: 'reset'; at: number }
  | { kind: 'stopBranch'; at: number }
  | { kind: 'closeBranch'; at: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Op>({ kind: 'emit' }) },
  { weight: 4, arbitrary: fc.nat(2).map<Op>((at) => ({ kind: 'complete', at })) },
  { weight: 3, arbitrary: fc.nat(2).map<Op>((at) => ({ kind: 'hold', at })) },
  { weight: 3, arbitrary: fc.nat(20).map<Op>((pick) => ({ kind: 'release', pick })) },
  { weight: 1, arbitrary: fc.nat(2).map<Op>((at) => ({ kind: 'fail', at })) },
  { weight: 1, arbitrary: fc.nat(2).map<Op>((at) => ({ kind: 'flush', at })) },
  { weight: 1, arbitrary: fc.nat(2).map<Op>((at) => ({ kind: 'reset', at })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }).map<Op>((at) => ({ kind: 'stopBranch', at })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }).map<Op>((at) => ({ kind: 'closeBranch', at })) },
);

describe('splitter fan-out against a model (fast-check)', () => {
  it('random completion orders, holds, failures, flushes, resets and branch stops/closes: each frame returns exactly once', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(opArb, { maxLength: 60 }), (fifo, ops) => {
        const { outs, ins, fanOut, frames, emit } = splitRig(2, fifo ? PinFlags.enforceFifo : 0);
        const held: StreamPointer<Pin>[] = [];
        let tag = 0;
        for (const op of ops) {
          switch (op.kind) {
            case 'emit':
              emit(++tag);
              break;
            case 'complete':
            case 'hold':
            case 'fail': {
              const lead = ins[op.at]!.getLeadingEdge(StreamPointerState.locked);
              if (lead === null) break;
              if (op.kind === 'hold') held.push(lead.clone());
              if (op.kind === 'fail') lead.setStatusCode(Status.unsuccessful);
              lead.unlock(true);
              break;
            }
            case 'release': {
              if (held.length === 0) break;
              const c = held.splice(op.pick % held.length, 1)[0]!;
              if (!c.deleted) c.delete();
              break;
            }
            case 'flush':
              ins[op.at]!.setState(KsState.stop);
              ins[op.at]!.setState(KsState.pause);
              break;
            case 'reset':
              ins[op.at]!.setResetState(KsReset.begin);
              ins[op.at]!.setResetState(KsReset.end);
              break;
            case 'stopBranch':
              if (!outs[op.at]!.isOpen) break;
              outs[op.at]!.setState(outs[op.at]!.pipeState === KsState.stop ? KsState.pause : KsState.stop);
              break;
            case 'closeBranch':
              outs[op.at]!.close();
              break;
          }
          // Invariants: no frame came back twice; every frame still out is either fanned out or at consumer 0.
          assert.equal(new Set(frames.returned).size, frames.returned.length, 'a frame returned twice');
          assert.ok(fanOut.inFlight <= frames.outstanding);
          assertViewsMatchParents(ins, frames);
        }
        for (const c of held) if (!c.deleted) c.delete();
        for (const p of ins) p.setState(KsState.stop);
        assert.equal(frames.outstanding, 0, 'every frame back after STOP');
        assert.equal(frames.returned.length, tag);
        assert.equal(new Set(frames.returned).size, tag);
        assert.equal(fanOut.inFlight, 0);
      }),
      { numRuns: 200 },
    );
  });
});

/** The view at each consumer's leading edge belongs to a frame not yet returned (views are never recycled early). */
function assertViewsMatchParents(ins: readonly Pin[], frames: Collector): void {
  const back = new Set(frames.returned.map((f) => f.context as number));
  for (const p of ins) {
    const f = p.queue!.getLeadingEdge(StreamPointerState.unlocked)?.frame ?? null;
    if (f !== null) assert.ok(!back.has(f.data![0]!), 'a view of a frame that already returned');
  }
}
