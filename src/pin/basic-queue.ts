import { Status, type StatusCode } from '../status.js';
import type { PinFrame, PinQueue, PinQueueHost } from './pin-queue.js';

/**
 * A minimal pin queue: a ring of frames with a leading edge and no clones or trailing edge, so a frame completes
 * as soon as the leading edge leaves it. Used by pins until the stream layer's queue (with stream pointers,
 * clones, trailing edge, cancellation) is plugged in through `setPinQueueFactory`.
 * @internal
 */
export class BasicPinQueue implements PinQueue {
  private ring: Array<PinFrame | null>;
  private mask: number;
  private head = 0;
  private count = 0;
  private offset = 0;
  private readonly host: PinQueueHost;

  constructor(host: PinQueueHost, capacity = 16) {
    let cap = 1;
    while (cap < capacity) cap <<= 1;
    this.ring = new Array<PinFrame | null>(cap).fill(null);
    this.mask = cap - 1;
    this.host = host;
  }

  get framesAhead(): number {
    return this.count;
  }

  get size(): number {
    return this.count;
  }

  add(frame: PinFrame): void {
    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) & this.mask] = frame;
    const wasEmpty = this.count === 0;
    this.count++;
    this.host.onArrival(wasEmpty);
  }

  flush(status: StatusCode): void {
    while (this.count > 0) {
      const frame = this.shift();
      frame.status = status;
      this.host.onFrameComplete(frame);
    }
  }

  leadingFrame(): PinFrame | null {
    return this.count > 0 ? this.ring[this.head]! : null;
  }

  leadingOffset(): number {
    return this.count > 0 ? this.offset : 0;
  }

  advanceLeading(used: number, eject: boolean): void {
    if (this.count === 0) return;
    const frame = this.ring[this.head]!;
    this.offset += used;
    if (eject || this.offset >= frame.data.byteLength) {
      this.shift();
      if (frame.status === Status.pending) frame.status = Status.success;
      this.host.onFrameComplete(frame);
    }
  }

  private shift(): PinFrame {
    const frame = this.ring[this.head]!;
    this.ring[this.head] = null;
    this.head = (this.head + 1) & this.mask;
    this.count--;
    this.offset = 0;
    return frame;
  }

  private grow(): void {
    const old = this.ring;
    const next = new Array<PinFrame | null>(old.length * 2).fill(null);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & this.mask]!;
    this.ring = next;
    this.mask = next.length - 1;
    this.head = 0;
  }
}
