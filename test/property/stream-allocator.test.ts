import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDefaultAllocator } from '../../src/allocator/default-allocator.js';
import type { FrameBuffer } from '../../src/allocator/types.js';
import { ksEnableEvent, ksMethod } from '../../src/property/allocator-methods.js';
import {
  EventSetId,
  EventType,
  MethodSetId,
  MethodType,
  PropertySetId,
  PropertyType,
  StreamAllocatorEvent,
  StreamAllocatorMethod,
  StreamAllocatorProperty,
} from '../../src/property/constants.js';
import { getProperty, ksProperty } from '../../src/property/ks-property.js';
import type { StreamAllocatorFunctionTable } from '../../src/property/property-sets.js';
import { decodeStreamAllocatorStatus, type StreamAllocatorStatus } from '../../src/property/value-codec.js';
import { Status } from '../../src/status.js';
import { initializedAllocator, legacy } from './helpers.js';

const SA = PropertySetId.streamAllocator;
const ALLOC = { set: MethodSetId.streamAllocator, id: StreamAllocatorMethod.alloc, flags: MethodType.write };
const FREE = { set: MethodSetId.streamAllocator, id: StreamAllocatorMethod.free, flags: MethodType.read };
const FREEFRAME = { set: EventSetId.streamAllocator, id: StreamAllocatorEvent.freeFrame, flags: EventType.enable };

describe('KSPROPERTY_STREAMALLOCATOR_STATUS', () => {
  it('GET: {framing, allocatedFrames, reserved} = KSSTREAMALLOCATOR_STATUS, 24 + 8 bytes, following the frames out', () => {
    const allocator = initializedAllocator({ frames: 3, frameSize: 128 });
    const a = allocator.allocate()!;
    const b = allocator.allocate()!;
    const r = getProperty<StreamAllocatorStatus>(allocator, SA, StreamAllocatorProperty.status);
    assert.equal(r.status, Status.success);
    assert.deepEqual(r.value, { framing: legacy({ frames: 3, frameSize: 128 }), allocatedFrames: 2, reserved: 0 });
    assert.equal(r.bytesReturned, 32);
    assert.deepEqual(decodeStreamAllocatorStatus(r.bytes!), r.value);
    const q = ksProperty(allocator, { set: SA, id: StreamAllocatorProperty.status, flags: PropertyType.get });
    assert.deepEqual([q.status, q.bytesReturned], [Status.bufferTooSmall, 32]);
    allocator.free(a);
    allocator.free(b);
    const wire = ksProperty(
      allocator,
      { set: SA, id: StreamAllocatorProperty.status, flags: PropertyType.get },
      new Uint8Array(32),
    );
    assert.equal(decodeStreamAllocatorStatus(wire.bytes!).allocatedFrames, 0);
    assert.equal(allocator.outstanding, 0);
  });

  it('an allocator not initialized yet has no status (invalidDeviceState)', () => {
    const allocator = createDefaultAllocator();
    assert.equal(getProperty(allocator, SA, StreamAllocatorProperty.status).status, Status.invalidDeviceState);
  });
});

describe('KSPROPERTY_STREAMALLOCATOR_FUNCTIONTABLE', () => {
  it('typed GET gives {allocateFrame, freeFrame} on the allocator; the wire form (user mode) is invalidDeviceRequest', () => {
    const allocator = initializedAllocator({ frames: 1 });
    const r = getProperty<StreamAllocatorFunctionTable>(allocator, SA, StreamAllocatorProperty.functionTable);
    assert.equal(r.status, Status.success);
    assert.equal(r.bytes, undefined);
    const frame = r.value!.allocateFrame()!;
    assert.equal(allocator.outstanding, 1);
    assert.equal(r.value!.allocateFrame(), null, 'direct allocation fails at once');
    r.value!.freeFrame(frame);
    assert.equal(allocator.outstanding, 0);
    const wire = ksProperty(
      allocator,
      { set: SA, id: StreamAllocatorProperty.functionTable, flags: PropertyType.get },
      new Uint8Array(16),
    );
    assert.equal(wire.status, Status.invalidDeviceRequest);
  });
});

describe('KSMETHODSETID_StreamAllocator', () => {
  it('ALLOC returns a frame at once, or pends until a FREE; FREE serves the oldest pending ALLOC first', async () => {
    const allocator = initializedAllocator({ frames: 1 });
    const first = ksMethod(allocator, ALLOC);
    assert.equal(first.status, Status.success);
    const frame = first.value as FrameBuffer;
    const second = ksMethod(allocator, ALLOC);
    const third = ksMethod(allocator, ALLOC);
    assert.equal(second.status, Status.pending);
    assert.equal(third.status, Status.pending);
    assert.equal(ksMethod(allocator, FREE, frame).status, Status.success);
    const got = await second.pending!;
    assert.equal(allocator.outstanding, 1);
    assert.equal(ksMethod(allocator, FREE, got).status, Status.success);
    const last = await third.pending!;
    assert.equal(ksMethod(allocator, FREE, last).status, Status.success);
    assert.equal(allocator.outstanding, 0);
  });

  it('a cancelled pending ALLOC rejects with cancelled; FREE of a frame not outstanding is invalidParameter', async () => {
    const allocator = initializedAllocator({ frames: 1 });
    const frame = ksMethod(allocator, ALLOC).value as FrameBuffer;
    const controller = new AbortController();
    const pending = ksMethod(allocator, ALLOC, undefined, { signal: controller.signal });
    controller.abort();
    await assert.rejects(pending.pending!, (e: { status?: number }) => e.status === Status.cancelled);
    assert.equal(ksMethod(allocator, FREE, frame).status, Status.success);
    assert.equal(ksMethod(allocator, FREE, frame).status, Status.invalidParameter, 'a double free');
    assert.throws(() => ksMethod(allocator, FREE, 5), TypeError);
    assert.equal(allocator.outstanding, 0);
  });

  it('ALLOC on an allocator not initialized or deleted is invalidDeviceState', () => {
    const allocator = createDefaultAllocator();
    assert.equal(ksMethod(allocator, ALLOC).status, Status.invalidDeviceState);
    allocator.initialize(null, legacy());
    allocator.delete();
    assert.equal(ksMethod(allocator, ALLOC).status, Status.invalidDeviceState);
  });

  it('support queries, an unknown set (propsetNotFound) and an unknown id (notFound)', () => {
    const allocator = initializedAllocator();
    assert.equal(ksMethod(allocator, { ...ALLOC, flags: MethodType.setSupport }).status, Status.success);
    assert.equal(ksMethod(allocator, { ...ALLOC, flags: MethodType.basicSupport }).value, MethodType.write);
    assert.equal(ksMethod(allocator, { ...FREE, flags: MethodType.basicSupport }).value, MethodType.read);
    assert.equal(ksMethod(allocator, { ...ALLOC, set: PropertySetId.streamAllocator }).status, Status.propsetNotFound);
    assert.equal(ksMethod(allocator, { ...ALLOC, id: 2 }).status, Status.notFound);
    assert.throws(() => ksMethod(allocator, { ...ALLOC, flags: 0x8000 }), RangeError);
  });
});

describe('KSEVENTSETID_StreamAllocator', () => {
  it('FREEFRAME fires after each free until disabled; ONESHOT fires once; INTERNAL_FREEFRAME is not offered', () => {
    const allocator = initializedAllocator({ frames: 2 });
    let every = 0;
    let once = 0;
    const enabled = ksEnableEvent(allocator, FREEFRAME, () => every++);
    const oneShot = ksEnableEvent(allocator, { ...FREEFRAME, flags: EventType.oneShot }, () => once++);
    assert.equal(enabled.status, Status.success);
    assert.equal(oneShot.status, Status.success);
    const a = allocator.allocate()!;
    const b = allocator.allocate()!;
    allocator.free(a);
    allocator.free(b);
    assert.deepEqual([every, once], [2, 1]);
    enabled.disable!();
    allocator.free(allocator.allocate()!);
    assert.equal(every, 2);
    assert.equal(
      ksEnableEvent(allocator, { ...FREEFRAME, id: StreamAllocatorEvent.internalFreeFrame }, () => {}).status,
      Status.notFound,
    );
    assert.equal(
      ksEnableEvent(allocator, { ...FREEFRAME, set: MethodSetId.streamAllocator }, () => {}).status,
      Status.propsetNotFound,
    );
    assert.equal(
      ksEnableEvent(allocator, { ...FREEFRAME, flags: EventType.basicSupport }).value,
      EventType.enable | EventType.oneShot,
    );
    assert.throws(() => ksEnableEvent(allocator, FREEFRAME), TypeError);
    assert.equal(allocator.outstanding, 0);
  });
});
