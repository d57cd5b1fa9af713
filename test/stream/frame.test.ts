import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FrameAllocator, FrameBuffer } from '../../src/allocator/types.js';
import { Status } from '../../src/status.js';
import { Frame, FrameState } from '../../src/stream/frame.js';
import { ManualScheduler } from '../../src/stream/scheduler.js';
import { STREAM_HEADER_SIZE, StreamHeader } from '../../src/stream/stream-header.js';
import { STREAM_HEADER_OPTIONS_MASK, StreamHeaderOptionsFlags } from '../../src/stream/stream-header-flags.js';

describe('frames and stream headers (spec §4)', () => {
  it('KSSTREAM_HEADER_OPTIONSF_* have the ks.h values', () => {
    assert.deepEqual(
      { ...StreamHeaderOptionsFlags },
      {
        splicePoint: 0x1,
        preroll: 0x2,
        dataDiscontinuity: 0x4,
        typeChanged: 0x8,
        timeValid: 0x10,
        timeDiscontinuity: 0x40,
        flushOnPause: 0x80,
        durationValid: 0x100,
        endOfStream: 0x200,
        bufferedTransfer: 0x400,
        vramDataTransfer: 0x800,
        metadata: 0x1000,
        endOfPhotoSequence: 0x2000,
        frameInfo: 0x4000,
        persistSample: 0x8000,
        samplePersisted: 0x10000,
        trackCompletionNumbers: 0x20000,
        secureBufferTransfer: 0x40000,
        loopedData: 0x80000000,
      },
    );
    assert.equal(STREAM_HEADER_OPTIONS_MASK, 0x8007ffdf);
  });

  it('a stream header starts empty (x64 size 56), resets its metadata and copies metadata without data', () => {
    const h = new StreamHeader();
    assert.equal(h.size, STREAM_HEADER_SIZE);
    assert.equal(STREAM_HEADER_SIZE, 56);
    assert.deepEqual(h.presentationTime, { time: 0, numerator: 1, denominator: 1 });
    const data = new Uint8Array(4);
    h.data = data;
    h.frameExtent = 4;
    h.dataUsed = 3;
    h.duration = 333_667;
    h.presentationTime.time = 10_000_000;
    h.presentationTime.numerator = 1;
    h.presentationTime.denominator = 1;
    h.optionsFlags = StreamHeaderOptionsFlags.timeValid | StreamHeaderOptionsFlags.durationValid;
    h.typeSpecificFlags = 7;
    const copy = new StreamHeader().copyMetadataFrom(h);
    assert.equal(copy.data, null, 'data not copied');
    assert.equal(copy.frameExtent, 0);
    assert.equal(copy.dataUsed, 3);
    assert.equal(copy.duration, 333_667);
    assert.deepEqual(copy.presentationTime, h.presentationTime);
    assert.notEqual(copy.presentationTime, h.presentationTime, 'own KSTIME object');
    assert.equal(copy.optionsFlags, 0x110);
    assert.equal(copy.typeSpecificFlags, 7);
    h.reset();
    assert.equal(h.data, data, 'reset keeps data');
    assert.equal(h.frameExtent, 4);
    assert.equal(h.dataUsed, 0);
    assert.equal(h.optionsFlags, 0);
    assert.equal(h.duration, 0);
    assert.deepEqual(h.presentationTime, { time: 0, numerator: 1, denominator: 1 });
  });

  it('a frame references an allocator buffer or user memory; attach/reset only while idle', () => {
    const buffer: FrameBuffer = { data: new Uint8Array(32), allocator: {} as FrameAllocator, index: 3 };
    const f = new Frame(buffer);
    assert.equal(f.buffer, buffer);
    assert.equal(f.data, buffer.data);
    assert.equal(f.header.frameExtent, 32);
    assert.equal(f.state, FrameState.idle);
    assert.equal(f.referenceCount, 0);
    const user = new Uint8Array(8);
    f.attach(null, user);
    assert.equal(f.buffer, null);
    assert.equal(f.data, user);
    assert.equal(f.header.frameExtent, 8);
    const injected = new Frame();
    assert.equal(injected.data, null);
    assert.equal(injected.header.frameExtent, 0);
    f.status = Status.cancelled;
    f.header.dataUsed = 5;
    f.reset();
    assert.equal(f.status, Status.success);
    assert.equal(f.header.dataUsed, 0);
    assert.equal(f.request, null);
  });
});

describe('ManualScheduler', () => {
  it('fires due timers in due order, then scheduling order, with now() at their due time', () => {
    const s = new ManualScheduler(5);
    const log: string[] = [];
    s.setTimer(10, () => log.push(`b@${s.now()}`));
    s.setTimer(5, () => log.push(`a@${s.now()}`));
    const h = s.setTimer(5, () => log.push('cleared'));
    s.setTimer(10, () => {
      log.push(`c@${s.now()}`);
      s.setTimer(0, () => log.push(`d@${s.now()}`));
    });
    s.clearTimer(h);
    s.clearTimer(h); // no-op
    assert.equal(s.pendingTimers, 3);
    assert.equal(s.nextDue, 10);
    assert.equal(s.advance(4), 0);
    assert.equal(s.advance(6), 4, 'including one scheduled by a callback within the window');
    assert.deepEqual(log, ['a@10', 'b@15', 'c@15', 'd@15']);
    assert.equal(s.now(), 15);
    assert.throws(() => s.advanceTo(1), RangeError);
    assert.throws(() => s.setTimer(-1, () => {}), RangeError);
    assert.equal(s.runAll(), 0);
  });
});
