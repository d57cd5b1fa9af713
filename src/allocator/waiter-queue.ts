import type { FrameBuffer } from './types.js';

/**
 * One pending `acquire()` (a pended KSMETHOD_STREAMALLOCATOR_ALLOC IRP).
 * @internal
 */
export class Waiter {
  settled = false;
  resolve: (frame: FrameBuffer) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;

  constructor(resolve: (frame: FrameBuffer) => void, reject: (reason: unknown) => void) {
    this.resolve = resolve;
    this.reject = reject;
    this.signal = undefined;
    this.onAbort = undefined;
  }

  /** Removes the abort listener (the waiter is settled either way). */
  detach(): void {
    this.settled = true;
    if (this.signal !== undefined && this.onAbort !== undefined) this.signal.removeEventListener('abort', this.onAbort);
    this.signal = undefined;
    this.onAbort = undefined;
  }
}

/**
 * FIFO of pending acquires: a ring buffer (never `Array#shift`). A cancelled waiter is only marked settled and
 * skipped later; the ring compacts instead of growing when most of it is tombstones.
 * @internal
 */
export class WaiterQueue {
  private _ring: Array<Waiter | undefined> = new Array(8).fill(undefined);
  private _head = 0;
  private _count = 0; // slots in use, tombstones included
  /** Live (unsettled) waiters. */
  pending = 0;

  push(waiter: Waiter): void {
    if (this._count === this._ring.length) this._makeRoom();
    this._ring[(this._head + this._count) % this._ring.length] = waiter;
    this._count++;
    this.pending++;
  }

  /** Removes and returns the oldest unsettled waiter, or undefined. */
  shift(): Waiter | undefined {
    while (this._count > 0) {
      const w = this._ring[this._head];
      this._ring[this._head] = undefined;
      this._head = (this._head + 1) % this._ring.length;
      this._count--;
      if (w !== undefined && !w.settled) {
        this.pending--;
        return w;
      }
    }
    return undefined;
  }

  /** Marks a waiter cancelled (it stays in the ring as a tombstone). */
  cancel(waiter: Waiter): void {
    if (waiter.settled) return;
    waiter.detach();
    this.pending--;
  }

  private _makeRoom(): void {
    const live: Waiter[] = [];
    for (let i = 0; i < this._count; i++) {
      const w = this._ring[(this._head + i) % this._ring.length];
      if (w !== undefined && !w.settled) live.push(w);
    }
    const capacity = live.length * 2 >= this._ring.length ? this._ring.length * 2 : this._ring.length;
    this._ring = new Array(capacity).fill(undefined);
    for (let i = 0; i < live.length; i++) this._ring[i] = live[i];
    this._head = 0;
    this._count = live.length;
  }
}
