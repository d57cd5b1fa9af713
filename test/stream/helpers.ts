import assert from 'node:assert/strict';
import { KsState, type KsStateValue } from '../../src/state.js';
import { Frame, FrameState } from '../../src/stream/frame.js';
import { DATAFLOW_OUT, Queue, type QueueHost, type QueueOptions } from '../../src/stream/queue.js';
import { ManualScheduler } from '../../src/stream/scheduler.js';
import type { StreamRequest } from '../../src/stream/stream-request.js';

/** A recording queue host. */
export class TestHost implements QueueHost {
  readonly completed: Frame[] = [];
  readonly completedStatus: number[] = [];
  readonly requestsCompleted: StreamRequest[] = [];
  readonly arrivals: boolean[] = [];
  deviceState: KsStateValue;
  constructor(
    readonly flags = 0,
    readonly dataFlow = DATAFLOW_OUT,
    deviceState: KsStateValue = KsState.run,
  ) {
    this.deviceState = deviceState;
  }
  _onArrival(_queue: Queue, wasEmpty: boolean): void {
    this.arrivals.push(wasEmpty);
  }
  _onFrameComplete(frame: Frame): void {
    assert.equal(frame.state, FrameState.idle, 'a completed frame is idle');
    this.completed.push(frame);
    this.completedStatus.push(frame.status);
  }
  _onStreamRequestComplete(request: StreamRequest): void {
    this.requestsCompleted.push(request);
  }
}

/** A queue on a recording host with a manual scheduler. */
export function setup(flags = 0, options: { dataFlow?: number; state?: KsStateValue } & QueueOptions = {}) {
  const host = new TestHost(flags, options.dataFlow ?? DATAFLOW_OUT, options.state ?? KsState.run);
  const scheduler = new ManualScheduler();
  const queue = new Queue(host, { scheduler, ...options });
  return { host, queue, scheduler };
}

/** `n` frames of `size` bytes (user memory), named by `context` = index. */
export function frames(n: number, size = 8, dataUsed = 0): Frame[] {
  const out: Frame[] = [];
  for (let i = 0; i < n; i++) {
    const f = new Frame(null, new Uint8Array(size));
    f.header.dataUsed = dataUsed;
    f.context = i;
    out.push(f);
  }
  return out;
}

/** Every frame back: the queue empty, no clone alive, every frame idle. */
export function assertAllBack(queue: Queue, all: readonly Frame[]): void {
  assert.equal(queue.length, 0, 'no frame left in the queue');
  for (const f of all) assert.equal(f.state, FrameState.idle, `frame ${String(f.context)} is back`);
}
