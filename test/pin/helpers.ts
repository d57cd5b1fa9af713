import type { FilterDispatch } from '../../src/filter/filter-descriptor.js';
import { FilterFactory } from '../../src/filter/filter-factory.js';
import { GUID_NULL } from '../../src/framing/constants.js';
import { CircuitFrame, type FrameReturnSink } from '../../src/pin/circuit-frame.js';
import {
  DataFormatSpecifier,
  DataFormatSubtype,
  DataFormatType,
  type KsDataFormat,
  type KsDataRange,
} from '../../src/pin/data-format.js';
import type { Pin } from '../../src/pin/pin.js';
import { Communication, DataFlow, type PinDescriptorEx } from '../../src/pin/pin-descriptor.js';
import type { Requester } from '../../src/processing/requester.js';
import { ManualWorkScheduler } from '../../src/processing/scheduler.js';
import { Status } from '../../src/status.js';
import { StreamPointerState } from '../../src/stream/stream-pointer.js';

/** A plain stream format. */
export const streamFormat: KsDataFormat = {
  formatSize: 64,
  flags: 0,
  sampleSize: 0,
  majorFormat: DataFormatType.stream,
  subFormat: DataFormatSubtype.none,
  specifier: DataFormatSpecifier.none,
};

/** A range accepting anything. */
export const anyRange: KsDataRange = {
  ...streamFormat,
  majorFormat: GUID_NULL,
  subFormat: GUID_NULL,
  specifier: GUID_NULL,
};

/** A pin descriptor with sensible defaults. */
export function pinDescriptor(over: Partial<PinDescriptorEx> = {}): PinDescriptorEx {
  return {
    dataRanges: [anyRange],
    dataFlow: DataFlow.in,
    communication: Communication.sink,
    flags: 0,
    instancesPossible: 1,
    instancesNecessary: 0,
    allocatorFraming: null,
    ...over,
  };
}

/** A filter made by a free-standing factory with a manual work scheduler. */
export function makeFilter(pinDescriptors: PinDescriptorEx[], dispatch: FilterDispatch | null = null) {
  const work = new ManualWorkScheduler();
  const factory = new FilterFactory({ pinDescriptors, dispatch }, { scheduler: work.schedule });
  return { filter: factory.createFilter(), work, factory };
}

/** Collects frames returning from a circuit. */
export class Collector implements FrameReturnSink {
  readonly returned: CircuitFrame[] = [];
  readonly statuses: number[] = [];
  made = 0;
  returnFrame(frame: CircuitFrame): void {
    this.returned.push(frame);
    this.statuses.push(frame.status);
  }
  /** A new frame of `size` bytes whose dataUsed = size (input data). */
  frame(size = 16, tag = this.made): CircuitFrame {
    const f = new CircuitFrame(this, null, new Uint8Array(size));
    f.header.dataUsed = size;
    f.context = tag;
    this.made++;
    return f;
  }
  /** Adds `n` frames to a pin's queue. */
  feed(pin: Pin, n = 1, size = 16): CircuitFrame[] {
    const out: CircuitFrame[] = [];
    for (let i = 0; i < n; i++) {
      const f = this.frame(size);
      out.push(f);
      pin.queue!.add(f);
    }
    return out;
  }
  /** Frames made and not back. */
  get outstanding(): number {
    return this.made - this.returned.length;
  }
}

/** Pin-centric process body: completes the frame at the leading edge (eject); pending when there is none. */
export function consumeOne(pin: Pin): number {
  const lead = pin.getLeadingEdge(StreamPointerState.locked);
  if (lead === null) return Status.pending;
  lead.unlock(true);
  return Status.success;
}

/**
 * Calls `seen` for every frame that comes back to `requester`, whichever way it comes: through `returnFrame`, or
 * through the quiet return a circuit section's hop uses when nothing but bookkeeping is due (`_returnQuiet`).
 */
export function spyReturns(requester: Requester, seen: (frame: CircuitFrame) => void): void {
  const back = requester.returnFrame.bind(requester);
  requester.returnFrame = (frame: CircuitFrame) => {
    seen(frame);
    back(frame);
  };
  const quiet = requester._returnQuiet.bind(requester);
  requester._returnQuiet = (frame: CircuitFrame) => {
    if (!quiet(frame)) return false;
    seen(frame); // (the quiet return changes no field a spy reads: status and buffer are as returnFrame saw them)
    return true;
  };
}
