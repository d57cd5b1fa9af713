import { StreamError } from '../../errors.js';
import { Status } from '../../status.js';

/** @internal a resolved promise shared by every non-waiting call (no promise per frame on the fast path). */
export const RESOLVED: Promise<void> = Promise.resolve();

/** The error an AbortSignal cancels a wait with: its reason, or a StreamError `cancelled`. */
export function abortError(signal: AbortSignal, what: string): unknown {
  return signal.reason !== undefined
    ? signal.reason
    : new StreamError(`${what}: aborted; expected the operation to finish`, Status.cancelled);
}

/**
 * @internal A FIFO of waiting callers on ring indices (no Array#shift). Each waiter is settled once, by `settle`
 * or by its signal.
 */
export class WaitQueue<T> {
  private items: Array<Waiting<T> | undefined> = new Array(8);
  private head = 0;
  private tail = 0;
  /** @internal waiters pushed and not settled yet (a waiter settled by its signal leaves its slot until skipped). */
  _live = 0;

  /** Waiters still waiting (settled ones — e.g. aborted by their signal — do not count). */
  get length(): number {
    return this._live;
  }

  push(w: Waiting<T>): void {
    if (!w.settled) {
      w._queue = this;
      this._live++;
    }
    if (this.tail - this.head === this.items.length) {
      const next = new Array<Waiting<T> | undefined>(this.items.length * 2);
      for (let k = 0; k < this.tail - this.head; k++) next[k] = this.items[(this.head + k) % this.items.length];
      this.items = next;
      this.tail -= this.head;
      this.head = 0;
    }
    this.items[this.tail % this.items.length] = w;
    this.tail++;
  }

  peek(): Waiting<T> | null {
    while (this.head < this.tail) {
      const w = this.items[this.head % this.items.length]!;
      if (!w.settled) return w;
      this.shift();
    }
    return null;
  }

  shift(): Waiting<T> | null {
    if (this.head === this.tail) return null;
    const k = this.head % this.items.length;
    const w = this.items[k]!;
    this.items[k] = undefined;
    this.head++;
    if (this.head === this.tail) this.head = this.tail = 0;
    return w;
  }

  /** Rejects every waiter. */
  rejectAll(error: unknown): void {
    for (let w = this.shift(); w !== null; w = this.shift()) w.reject(error);
  }
}

/** @internal one waiting caller. */
export class Waiting<T> {
  settled = false;
  private readonly _resolve: (value: T) => void;
  private readonly _reject: (error: unknown) => void;
  private readonly signal: AbortSignal | null;
  private readonly onAbort: (() => void) | null;
  /** @internal the queue counting this waiter while it waits. */
  _queue: { _live: number } | null = null;
  /** Caller's payload (e.g. the chunk a write waits to copy). */
  payload: unknown;
  /** Progress on the payload (bytes copied so far). */
  offset = 0;
  readonly promise: Promise<T>;

  constructor(payload: unknown, signal: AbortSignal | null | undefined, what: string) {
    let res!: (value: T) => void;
    let rej!: (error: unknown) => void;
    this.promise = new Promise<T>((resolve, reject) => {
      res = resolve;
      rej = reject;
    });
    this._resolve = res;
    this._reject = rej;
    this.payload = payload;
    this.signal = signal ?? null;
    if (this.signal) {
      this.onAbort = () => this.reject(abortError(this.signal!, what));
      this.signal.addEventListener('abort', this.onAbort, { once: true });
    } else {
      this.onAbort = null;
    }
  }

  resolve(value: T): void {
    if (this.settled) return;
    this.settled = true;
    if (this._queue) this._queue._live--;
    if (this.onAbort) this.signal!.removeEventListener('abort', this.onAbort);
    this._resolve(value);
  }

  reject(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    if (this._queue) this._queue._live--;
    if (this.onAbort) this.signal!.removeEventListener('abort', this.onAbort);
    this._reject(error);
  }
}
