import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDefaultAllocator } from '../../src/allocator/default-allocator.js';
import { FilterFlags } from '../../src/filter/filter-descriptor.js';
import { FilterFactory } from '../../src/filter/filter-factory.js';
import { FileAlignment, PoolType } from '../../src/framing/constants.js';
import { connectPins, linkInPlace, type Pin } from '../../src/pin/pin.js';
import { Communication, DataFlow } from '../../src/pin/pin-descriptor.js';
import { setPipeSource } from '../../src/processing/wiring.js';
import { KsState } from '../../src/state.js';
import { Status } from '../../src/status.js';
import type { Frame } from '../../src/stream/frame.js';
import { StreamPointerState } from '../../src/stream/stream-pointer.js';
import { makeFilter, pinDescriptor, streamFormat } from './helpers.js';

const out = (process?: (pin: Pin) => number) =>
  pinDescriptor({
    dataFlow: DataFlow.out,
    communication: Communication.source,
    dispatch: process ? { process } : null,
  });
const inp = (process?: (pin: Pin) => number) => pinDescriptor({ dispatch: process ? { process } : null });

/** source → in-place transform → sink, wired as the graph manager would; `frames` in the pool. */
function pipeline(total: number, frames = 4) {
  const seen = {
    produced: 0,
    transformed: [] as Frame[],
    sunk: [] as Frame[],
    sinkMode: 'consume' as 'consume' | 'pend',
  };
  const source = makeFilter([
    out((pin) => {
      if (seen.produced >= total) return Status.pending;
      const lead = pin.getLeadingEdge(StreamPointerState.locked);
      if (lead === null) return Status.pending;
      const data = lead.offset.data!;
      data[0] = seen.produced & 0xff;
      lead.frame!.header.dataUsed = 16;
      seen.produced++;
      lead.unlock(true);
      return Status.success;
    }),
  ]);
  const transform = makeFilter([
    inp((pin) => {
      const lead = pin.getLeadingEdge(StreamPointerState.locked);
      if (lead === null) return Status.pending;
      lead.offset.data![1] = 0xee;
      seen.transformed.push(lead.frame!);
      lead.unlock(true);
      return Status.success;
    }),
    out(),
  ]);
  const sink = makeFilter([
    inp((pin) => {
      if (seen.sinkMode === 'pend') return Status.pending;
      const lead = pin.getLeadingEdge(StreamPointerState.locked);
      if (lead === null) return Status.pending;
      assert.equal(lead.offset.data![1], 0xee, 'the transform wrote into the same frame');
      seen.sunk.push(lead.frame!);
      lead.unlock(true);
      return Status.success;
    }),
  ]);
  const src = source.filter.createPin(0, streamFormat);
  const tin = transform.filter.createPin(0, streamFormat);
  const tout = transform.filter.createPin(1, streamFormat);
  const snk = sink.filter.createPin(0, streamFormat);
  connectPins(src, tin);
  linkInPlace(tin, tout);
  connectPins(tout, snk);
  const allocator = createDefaultAllocator();
  allocator.initialize(null, {
    optionsFlags: 0,
    poolType: PoolType.nonPagedPool,
    frames,
    frameSize: 64,
    fileAlignment: FileAlignment.long,
    reserved: 0,
  });
  const requester = setPipeSource(src, allocator);
  const pins = [tout, tin, src, snk];
  const setAll = (s: 0 | 1 | 2 | 3) => {
    for (const p of s === KsState.stop ? [...pins].reverse() : pins) p.setState(s);
  };
  return { seen, src, snk, allocator, requester, setAll };
}

describe('requester and in-place circuit', () => {
  it('frames go allocator → source → in-place transform (the same frame) → sink → allocator; none outstanding after STOP', () => {
    const { seen, allocator, requester, setAll, snk } = pipeline(50);
    snk.setState(KsState.run);
    setAll(KsState.run);
    assert.equal(seen.produced, 50);
    assert.equal(seen.sunk.length, 50);
    assert.deepEqual(seen.sunk, seen.transformed, 'in place: the sink gets exactly the frames the transform modified');
    assert.ok(new Set(seen.sunk).size <= 4, 'frames are reused (pool of 4)');
    assert.ok(allocator.outstanding > 0, 'the requester keeps the source queue primed');
    setAll(KsState.stop);
    assert.equal(allocator.outstanding, 0);
    assert.equal(requester.outstanding, 0);
    allocator.delete();
  });

  it('back-pressure: an exhausted allocator stalls the source until the sink completes frames (FREEFRAME resumes it)', () => {
    const { seen, snk, allocator, requester, setAll } = pipeline(20);
    seen.sinkMode = 'pend';
    snk.setState(KsState.run);
    setAll(KsState.run);
    assert.equal(seen.produced, 4, 'only the pool (4 frames) went out');
    assert.equal(allocator.outstanding, 4);
    assert.ok(requester.stalls > 0);
    seen.sinkMode = 'consume';
    snk.attemptProcessing();
    assert.equal(seen.produced, 20);
    assert.equal(seen.sunk.length, 20);
    setAll(KsState.stop);
    assert.equal(allocator.outstanding, 0);
  });

  it('a shared allocator: frames held elsewhere stall the source; their FREEFRAME resumes it', () => {
    const { seen, allocator, snk, setAll } = pipeline(6);
    const held = [allocator.allocate()!, allocator.allocate()!, allocator.allocate()!, allocator.allocate()!];
    snk.setState(KsState.run);
    setAll(KsState.run);
    assert.equal(seen.produced, 0, 'no frame to be had');
    allocator.free(held.pop()!);
    assert.equal(seen.produced, 6, 'one freed frame circulates until the source is done');
    for (const b of held) allocator.free(b);
    setAll(KsState.stop);
    assert.equal(allocator.outstanding, 0);
  });

  it('a frame reaching a stopped pin goes back to the allocator', () => {
    const { seen, snk, allocator, setAll } = pipeline(10);
    setAll(KsState.acquire);
    snk.setState(KsState.stop);
    setAll(KsState.run); // the sink is set last: frames arrive while it is still in STOP
    assert.equal(seen.produced, 10);
    assert.equal(seen.transformed.length, 10);
    assert.equal(seen.sunk.length, 0);
    setAll(KsState.stop);
    assert.equal(allocator.outstanding, 0);
  });
});

describe('filter-centric in-place transform in a circuit', () => {
  it('the in-place output process pin sees the input frame (InPlaceCounterpart); the frame goes on to the sink', () => {
    let produced = 0;
    const sunk: Frame[] = [];
    const source = makeFilter([
      out((pin) => {
        if (produced >= 12) return Status.pending;
        const lead = pin.getLeadingEdge(StreamPointerState.locked);
        if (lead === null) return Status.pending;
        lead.frame!.header.dataUsed = 8;
        lead.offset.data![0] = produced++;
        lead.unlock(true);
        return Status.success;
      }),
    ]);
    const transform = makeFilter([inp(), out()], {
      process: (_f, index) => {
        const i = index[0]!.pins[0]!;
        const o = index[1]!.pins[0]!;
        assert.equal(o.inPlaceCounterpart, i);
        assert.equal(i.inPlaceCounterpart, o);
        assert.equal(o.data, i.data, 'the same bytes');
        i.data![1] = 0x77;
        i.bytesUsed = i.bytesAvailable;
        return Status.success;
      },
    });
    const sink = makeFilter([
      inp((pin) => {
        const lead = pin.getLeadingEdge(StreamPointerState.locked);
        if (lead === null) return Status.pending;
        assert.equal(lead.offset.data![1], 0x77);
        sunk.push(lead.frame!);
        lead.unlock(true);
        return Status.success;
      }),
    ]);
    const src = source.filter.createPin(0, streamFormat);
    const tin = transform.filter.createPin(0, streamFormat);
    const tout = transform.filter.createPin(1, streamFormat);
    const snk = sink.filter.createPin(0, streamFormat);
    connectPins(src, tin);
    linkInPlace(tin, tout);
    connectPins(tout, snk);
    const allocator = createDefaultAllocator();
    allocator.initialize(null, {
      optionsFlags: 0,
      poolType: PoolType.nonPagedPool,
      frames: 3,
      frameSize: 16,
      fileAlignment: FileAlignment.long,
      reserved: 0,
    });
    setPipeSource(src, allocator);
    for (const p of [snk, tout, tin, src]) p.setState(KsState.run);
    assert.equal(sunk.length, 12);
    for (const p of [src, tin, tout, snk]) p.setState(KsState.stop);
    assert.equal(allocator.outstanding, 0);
  });
});

describe('zero-length frames', () => {
  it('bypass a filter without RECEIVE_ZERO_LENGTH_SAMPLES and reach one with it', () => {
    let produced = 0;
    const seenBy = { transform: [] as number[], sink: [] as number[] };
    const source = makeFilter([
      out((pin) => {
        if (produced >= 6) return Status.pending;
        const lead = pin.getLeadingEdge(StreamPointerState.locked);
        if (lead === null) return Status.pending;
        lead.frame!.header.dataUsed = produced % 2 === 0 ? 0 : 4;
        produced++;
        lead.unlock(true);
        return Status.success;
      }),
    ]);
    const record = (list: number[]) => (pin: Pin) => {
      const lead = pin.getLeadingEdge(StreamPointerState.locked);
      if (lead === null) return Status.pending;
      list.push(lead.frame!.header.dataUsed);
      lead.unlock(true);
      return Status.success;
    };
    const transform = makeFilter([inp(record(seenBy.transform)), out()]);
    const sinkFactory = new FilterFactory({
      pinDescriptors: [inp(record(seenBy.sink))],
      flags: FilterFlags.receiveZeroLengthSamples,
    });
    const src = source.filter.createPin(0, streamFormat);
    const tin = transform.filter.createPin(0, streamFormat);
    const tout = transform.filter.createPin(1, streamFormat);
    const snk = sinkFactory.createFilter().createPin(0, streamFormat);
    connectPins(src, tin);
    linkInPlace(tin, tout);
    connectPins(tout, snk);
    const allocator = createDefaultAllocator();
    allocator.initialize(null, {
      optionsFlags: 0,
      poolType: PoolType.nonPagedPool,
      frames: 2,
      frameSize: 16,
      fileAlignment: FileAlignment.long,
      reserved: 0,
    });
    setPipeSource(src, allocator);
    for (const p of [snk, tout, tin, src]) p.setState(KsState.run);
    assert.deepEqual(seenBy.transform, [4, 4, 4]);
    assert.deepEqual(seenBy.sink, [0, 4, 0, 4, 0, 4]);
    for (const p of [src, tin, tout, snk]) p.setState(KsState.stop);
    assert.equal(allocator.outstanding, 0);
  });
});

describe('pipe creation at STOP→ACQUIRE', () => {
  it('an allocator initialized by a state observer at STOP→ACQUIRE feeds the requester attached before', () => {
    let produced = 0;
    const source = makeFilter([
      out((pin) => {
        const lead = pin.getLeadingEdge(StreamPointerState.locked);
        if (lead === null || produced >= 5) return Status.pending;
        produced++;
        lead.unlock(true);
        return Status.success;
      }),
    ]);
    const src = source.filter.createPin(0, streamFormat);
    const allocator = createDefaultAllocator();
    setPipeSource(src, allocator);
    src.addStateObserver({
      willPinState: (_pin, from, to) => {
        if (from === KsState.stop && to === KsState.acquire) {
          allocator.initialize(null, {
            optionsFlags: 0,
            poolType: PoolType.nonPagedPool,
            frames: 2,
            frameSize: 16,
            fileAlignment: FileAlignment.long,
            reserved: 0,
          });
        }
        return undefined;
      },
    });
    src.setState(KsState.acquire);
    assert.equal(allocator.outstanding, 2, 'the source queue is primed in ACQUIRE');
    src.setState(KsState.run);
    assert.equal(produced, 5, 'unconnected source: each produced frame returns and is refilled');
    src.setState(KsState.stop);
    assert.equal(allocator.outstanding, 0);
  });
});

describe('injection into a circuit', () => {
  it('§9.16/§9.17 an injected frame goes on to the connected pin and back to the callback; a downstream pin in reset returns it with deviceNotReady', () => {
    const back: Array<[unknown, number]> = [];
    const eject = (pin: Pin) => {
      const lead = pin.getLeadingEdge(StreamPointerState.locked);
      if (lead === null) return Status.pending;
      lead.unlock(true);
      return Status.success;
    };
    const sunk: unknown[] = [];
    const source = makeFilter([out(eject)]);
    const sink = makeFilter([
      inp((pin) => {
        const lead = pin.getLeadingEdge(StreamPointerState.locked);
        if (lead === null) return Status.pending;
        sunk.push(lead.frame!.context);
        lead.unlock(true);
        return Status.success;
      }),
    ]);
    const src = source.filter.createPin(0, streamFormat);
    const snk = sink.filter.createPin(0, streamFormat);
    connectPins(src, snk);
    src.registerFrameReturnCallback((_p, _d, _h, context, status) => back.push([context, status]));
    snk.setState(KsState.run);
    src.setState(KsState.run);
    src.submitFrame(new Uint8Array(8), { dataUsed: 8 }, 'through');
    snk.setResetState(0);
    src.submitFrame(new Uint8Array(8), { dataUsed: 8 }, 'reset');
    snk.setResetState(1);
    src.submitFrame(new Uint8Array(8), { dataUsed: 8 }, 'after');
    assert.deepEqual(sunk, ['through', 'after']);
    assert.deepEqual(back, [
      ['through', Status.success],
      ['reset', Status.deviceNotReady],
      ['after', Status.success],
    ]);
    src.setState(KsState.stop);
    snk.setState(KsState.stop);
  });
});

describe('requester and a pending deleteWhenIdle', () => {
  it('a requester allocates nothing while its allocator waits on deleteWhenIdle: frames returning then are freed and the deletion completes', async () => {
    const { seen, snk, allocator, requester, setAll } = pipeline(20);
    seen.sinkMode = 'pend';
    snk.setState(KsState.run);
    setAll(KsState.run);
    assert.equal(allocator.outstanding, 4, 'the pool is out (the sink pends)');
    const deleted = allocator.deleteWhenIdle();
    assert.equal(allocator.deletePending, true);
    assert.equal(allocator.state, 'initialized', 'a pending deleteWhenIdle still reports initialized');
    // The frames come back outside any Process routine (the sink is stopped first: its queue is flushed) while the
    // source still runs: the requester must not ask the allocator for more (allocate() refuses while deleting).
    assert.doesNotThrow(() => snk.setState(KsState.stop));
    assert.equal(seen.sunk.length, 0);
    assert.equal(requester.outstanding, 0);
    assert.equal(allocator.outstanding, 0);
    await deleted;
    assert.equal(allocator.state, 'deleted');
    assert.doesNotThrow(() => setAll(KsState.stop));
  });
});
