import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createDefaultAllocator } from '../../src/allocator/default-allocator.js';
import { FileAlignment, PoolType } from '../../src/framing/constants.js';
import { connectPins, type Pin } from '../../src/pin/pin.js';
import { Communication, DataFlow } from '../../src/pin/pin-descriptor.js';
import { setPipeSource } from '../../src/processing/wiring.js';
import { KsState } from '../../src/state.js';
import { Status } from '../../src/status.js';
import { Frame, FrameState } from '../../src/stream/frame.js';
import { type FrameLeak, FrameLedger } from '../../src/stream/frame-ledger.js';
import { StreamPointerState } from '../../src/stream/stream-pointer.js';
import { StreamRequest } from '../../src/stream/stream-request.js';
import { makeFilter, pinDescriptor, streamFormat } from '../pin/helpers.js';
import { setup } from './helpers.js';

function allocator(frames = 4, debug = false) {
  const a = createDefaultAllocator({ debug });
  a.initialize(null, {
    optionsFlags: 0,
    poolType: PoolType.nonPagedPool,
    frames,
    frameSize: 32,
    fileAlignment: FileAlignment.byte,
    reserved: 0,
  });
  return a;
}

describe('frame lifetimes (design: Lifetimes)', () => {
  it('release frees the allocator buffer once; use after release throws; release while queued throws and changes nothing', () => {
    const a = allocator(2);
    const frame = new Frame(a.allocate());
    assert.equal(a.outstanding, 1);
    const { queue } = setup();
    queue.add(frame);
    assert.throws(() => frame.release(), /queued frame is not allowed for release/);
    assert.equal(a.outstanding, 1);
    assert.equal(frame.state, FrameState.queued);
    queue.flush(Status.cancelled);
    frame.release();
    assert.equal(frame.state, FrameState.released);
    assert.equal(a.outstanding, 0, 'the buffer went back');
    assert.equal(frame.data, null);
    frame.release(); // idempotent: no double free
    assert.equal(a.outstanding, 0);
    assert.throws(() => queue.add(frame), /released frame is not allowed for add/);
    assert.throws(() => frame.attach(null, new Uint8Array(4)), /released frame/);
    assert.throws(() => frame.reset(), /released frame/);
    assert.throws(() => queue.addRequest(new StreamRequest([frame])), /frame released is not allowed/);
    assert.equal(queue.length, 0);
    a.delete();
  });

  it('`using` releases a frame at the end of its scope', () => {
    const a = allocator(1);
    {
      using frame = new Frame(a.allocate());
      assert.equal(frame.state, FrameState.idle);
      assert.equal(a.outstanding, 1);
    }
    assert.equal(a.outstanding, 0);
    a.delete();
  });

  it('the ledger records the holder of every outstanding frame and where it sits; release and untrack remove it', () => {
    const ledger = new FrameLedger({ captureStacks: true });
    const { queue, host } = setup();
    const f1 = new Frame(null, new Uint8Array(4));
    const f2 = new Frame(null, new Uint8Array(4));
    ledger.track(f1, 'decoder');
    ledger.track(f2, 'encoder');
    queue.add(f2);
    assert.equal(ledger.size, 2);
    const rows = ledger.outstanding();
    assert.deepEqual(
      rows.map((r) => [r.frame, r.holder, r.queueHost]),
      [
        [f1, 'decoder', null],
        [f2, 'encoder', host],
      ],
    );
    assert.match(rows[0]!.stack ?? '', /frame taken/);
    ledger.track(f1, 'muxer');
    assert.equal(ledger.outstanding()[0]!.holder, 'muxer', 'a new holder replaces the old');
    f1.release();
    assert.equal(ledger.size, 1);
    queue.flush(Status.cancelled);
    ledger.untrack(f2);
    ledger.untrack(f2);
    assert.equal(ledger.size, 0);
    assert.deepEqual(ledger.leaks, []);
  });

  it('a tracked frame collected unreleased is reported with its holder (FinalizationRegistry)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const reported: FrameLeak[] = [];
    const ledger = new FrameLedger({ onLeak: (leak) => reported.push(leak) });
    const kept = new Frame(null, new Uint8Array(4));
    ledger.track(kept, 'kept');
    (() => {
      ledger.track(new Frame(null, new Uint8Array(4)), 'leaky filter');
    })();
    for (let i = 0; i < 50 && reported.length === 0; i++) {
      gc();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(
      reported.map((l) => l.holder),
      ['leaky filter'],
    );
    assert.deepEqual(ledger.leaks, reported);
    assert.equal(ledger.size, 1, 'the kept frame is still outstanding');
    assert.equal(ledger.outstanding()[0]!.frame, kept);
  });

  it('a requester with a ledger: frames in the circuit show the pin holding them; none is left after STOP', () => {
    const ledger = new FrameLedger();
    const source = makeFilter([
      pinDescriptor({
        dataFlow: DataFlow.out,
        communication: Communication.source,
        dispatch: {
          process: (pin: Pin) => {
            const lead = pin.getLeadingEdge(StreamPointerState.locked);
            if (lead === null) return Status.pending;
            lead.frame!.header.dataUsed = 8;
            lead.unlock(true);
            return Status.success;
          },
        },
      }),
    ]);
    const sink = makeFilter([pinDescriptor({ dispatch: { process: () => Status.pending } })]);
    const src = source.filter.createPin(0, streamFormat);
    const snk = sink.filter.createPin(0, streamFormat);
    connectPins(src, snk);
    const a = allocator(3);
    setPipeSource(src, a, { ledger });
    assert.throws(() => setPipeSource(src, a, { ledger: {} as FrameLedger }), TypeError);
    setPipeSource(src, a, { ledger });
    snk.setState(KsState.run);
    src.setState(KsState.run);
    assert.equal(ledger.size, 3);
    assert.ok(ledger.outstanding().every((r) => r.holder === 'requester of pin 0' && r.queueHost === snk));
    src.setState(KsState.stop);
    snk.setState(KsState.stop);
    assert.equal(ledger.size, 0);
    assert.equal(a.outstanding, 0);
    a.delete();
  });
});
