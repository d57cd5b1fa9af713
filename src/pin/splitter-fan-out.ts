import { argumentError, StreamError } from '../errors.js';
import { KsReset, KsState } from '../state.js';
import { Status } from '../status.js';
import { CircuitFrame, type FrameReturnSink } from './circuit-frame.js';
import type { Pin } from './pin.js';
import { DataFlow } from './pin-descriptor.js';

/** Options of a {@link SplitterFanOut}. */
export interface SplitterFanOutOptions {
  /**
   * Fan-out records to build up front (one per frame of the pipe's allocator: the pipe's frame count). More are built
   * only when more frames are in flight at once (never in steady state). Default 4.
   */
  readonly frames?: number;
  /**
   * Debug mode: checksum the bytes of every shared frame when it fans out and check them each time a branch hands
   * its view back; a difference (a read-only consumer wrote into a frame other branches read) throws a
   * {@link StreamError} (`invalidDeviceRequest`) once the frame's bookkeeping is done. Default false (costs a pass
   * over the bytes per branch per frame).
   */
  readonly verify?: boolean;
  /** How errors name this fan-out (e.g. the pipe and its consumers). Default `splitter pin <id>`. */
  readonly name?: string;
}

/**
 * A branch's view of a shared frame (DelegateBranch): the same bytes (`data` is the delegate frame's own `Uint8Array`)
 * and header metadata as the delegate's frame, its own queue bookkeeping; `buffer` is null (the delegate's frame owns
 * the allocator buffer). Built once per fan-out record and branch; it returns to its {@link SplitterFanOut}.
 */
export class BranchFrame extends CircuitFrame {
  /** @internal the fan-out record (slot) this view belongs to */
  readonly _slot: number;
  /** @internal true from dispatch until it comes back (a second return is ignored) */
  _out = false;
  /** @internal prepared for the fan-out under way, not sent yet */
  _toSend = false;

  constructor(owner: SplitterFanOut, slot: number) {
    super(owner, null, null);
    this._slot = slot;
  }
}

const NO_BRANCHES: readonly Pin[] = Object.freeze([]);

/**
 * Zero-copy fan-out of a splitter's frames to its read-only branches (KSPROCESSPIN.DelegateBranch; spec §7: splitter
 * branches whose consumers do not modify data share the pipe). Hooked on the pin where the delegate's frames
 * complete (the delegate output pin, or its in-place input when that output does not process frames of its own):
 * a frame completing there with success is taken over and one {@link BranchFrame} view of it goes on per live
 * branch — the delegate's own route first, then each delegate branch pin's peer, in order. The delegate's frame
 * goes back to where it came from (the requester, hence the allocator) only when every view has come back
 * (completed, cancelled, flushed, refused by a stopped or resetting pin): reference-counted, exactly once. A branch
 * pin that is closed, unconnected, in STOP or resetting gets no view of that frame.
 *
 * No allocation per frame: the views and their records are built up front (one record per frame in flight) and
 * recycled through a typed-array free list. The bytes are shared, not copied: a consumer of a shared pipe must
 * only read them (a driver bug otherwise; `verify` detects it).
 */
export class SplitterFanOut implements FrameReturnSink {
  /** The delegate: the splitter pin instance whose frames the driver fills. */
  readonly delegate: Pin;
  /** The delegate branches: further instances whose consumers read the delegate's frames (no copy). */
  readonly branches: readonly Pin[];
  /** The pin the hook sits on (where the delegate's frames complete). */
  readonly routePin: Pin;
  /** Frames fanned out so far. */
  fannedOut = 0;
  /** Branch views handed out so far (the delegate's own route included). */
  viewsSent = 0;
  private readonly verify: boolean;
  private readonly name: string;
  private parents: Array<CircuitFrame | null> = [];
  private pending = new Int32Array(0);
  private sums = new Int32Array(0);
  private lengths = new Int32Array(0);
  private views: BranchFrame[][] = [];
  private free = new Int32Array(0);
  private freeTop = 0;
  /** Allocator buffer index → the record bound to that buffer's frame (−1: none yet). */
  private slotOfBuffer = new Int32Array(0);
  /** Per record: 1 when bound to an allocator buffer (then it never goes back to the free list). */
  private bound = new Uint8Array(0);
  private active = 0;

  constructor(delegate: Pin, branches: readonly Pin[] = NO_BRANCHES, options: SplitterFanOutOptions = {}) {
    if (delegate === null || typeof delegate !== 'object' || delegate.dataFlow !== DataFlow.out) {
      throw argumentError('type', 'delegate', delegate, 'an output Pin (the splitter instance the driver fills)');
    }
    if (!Array.isArray(branches)) throw argumentError('type', 'branches', branches, 'an array of output pins');
    for (let k = 0; k < branches.length; k++) {
      const b = branches[k];
      if (
        b === delegate ||
        b === null ||
        typeof b !== 'object' ||
        b.filter !== delegate.filter ||
        b.id !== delegate.id ||
        !b.isOpen ||
        branches.indexOf(b) !== k
      ) {
        throw argumentError(
          'type',
          `branches[${k}]`,
          b,
          "another open instance of the delegate's pin type, listed once",
        );
      }
    }
    const frames = options.frames ?? 4;
    if (!Number.isSafeInteger(frames) || frames < 1 || frames > 1 << 20) {
      throw argumentError('range', 'options.frames', frames, 'an integer 1–2^20');
    }
    this.delegate = delegate;
    this.branches = Object.freeze([...branches]);
    const counterpart = delegate.inPlaceCounterpart;
    this.routePin = counterpart !== null && !delegate._processesFrames() ? counterpart : delegate;
    this.verify = options.verify === true;
    this.name = options.name ?? `splitter pin ${delegate.id}`;
    this.grow(frames);
  }

  /** Fan-out records built (frames that can be in flight without building more). */
  get capacity(): number {
    return this.parents.length;
  }

  /** Fan-out records in flight (frames not yet back from every branch). */
  get inFlight(): number {
    return this.active;
  }

  /**
   * The record of a frame: an allocator frame keeps one record (and so its views) for good — each view then always
   * shows the same buffer, so consumers that cache a view of the bytes (a sink endpoint's SinkFrame) allocate
   * nothing either; other frames (injected ones) take a record from the free list for the time they are out.
   */
  private slotFor(frame: CircuitFrame): number {
    const buffer = frame.buffer;
    if (buffer !== null) {
      const i = buffer.index;
      if (i >= this.slotOfBuffer.length) {
        const map = new Int32Array(Math.max(i + 1, this.slotOfBuffer.length * 2)).fill(-1);
        map.set(this.slotOfBuffer);
        this.slotOfBuffer = map;
      }
      const slot = this.slotOfBuffer[i]!;
      if (slot >= 0 && this.parents[slot] === null) return slot;
      if (slot < 0) {
        const fresh = this.takeFree();
        this.bound[fresh] = 1;
        this.slotOfBuffer[i] = fresh;
        return fresh;
      }
    }
    return this.takeFree();
  }

  private takeFree(): number {
    if (this.freeTop === 0) this.grow(this.parents.length * 2);
    return this.free[--this.freeTop]!;
  }

  private grow(capacity: number): void {
    const old = this.parents.length;
    if (capacity <= old) return;
    const resize = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(capacity);
      b.set(a);
      return b;
    };
    this.pending = resize(this.pending);
    this.sums = resize(this.sums);
    this.lengths = resize(this.lengths);
    const bound = new Uint8Array(capacity);
    bound.set(this.bound);
    this.bound = bound;
    const free = new Int32Array(capacity);
    free.set(this.free.subarray(0, this.freeTop));
    this.free = free;
    for (let slot = old; slot < capacity; slot++) {
      this.parents.push(null);
      const views: BranchFrame[] = [];
      for (let k = 0; k <= this.branches.length; k++) views.push(new BranchFrame(this, slot));
      this.views.push(views);
    }
    // Lower slots on top: reused first.
    for (let slot = capacity - 1; slot >= old; slot--) this.free[this.freeTop++] = slot;
  }

  /** True when `branch` can take a view now. */
  private static accepts(branch: Pin): boolean {
    return (
      !branch._closed && branch.peer !== null && branch.pipeState !== KsState.stop && branch.resetState === KsReset.end
    );
  }

  /**
   * @internal The hook (`Pin._onFrameComplete` of {@link routePin}): takes over a frame that completed with success
   * and sends one view per live branch. Returns false (the frame goes on as usual) when no branch takes a view.
   */
  _take(frame: CircuitFrame): boolean {
    const branches = this.branches;
    let live = false;
    for (let k = 0; k < branches.length && !live; k++) live = SplitterFanOut.accepts(branches[k]!);
    if (!live) return false;
    const slot = this.slotFor(frame);
    const views = this.views[slot]!;
    this.active++;
    const header = frame.header;
    this.parents[slot] = frame;
    if (this.verify) {
      const n = Math.min(header.dataUsed, header.data === null ? 0 : header.data.byteLength);
      this.lengths[slot] = n;
      this.sums[slot] = checksum(header.data, n);
    }
    // Every view is ready (and counted) before any is sent: a view may come back — and the frame with it — inside a
    // dispatch below, and a dispatch may even fan out another frame (the record's own views say which to send).
    this.prepare(views[0]!, frame);
    let count = 1;
    for (let k = 0; k < branches.length; k++) {
      if (!SplitterFanOut.accepts(branches[k]!)) continue;
      this.prepare(views[k + 1]!, frame);
      views[k + 1]!._toSend = true;
      count++;
    }
    this.pending[slot] = count;
    this.fannedOut++;
    this.viewsSent += count;
    // Every view is sent even if a consumer's processing throws on one; the first error is rethrown afterwards.
    let error: unknown = null;
    let failed = false;
    try {
      this.routePin._onFrameComplete(views[0]!);
    } catch (e) {
      error = e;
      failed = true;
    }
    for (let k = 0; k < branches.length; k++) {
      const view = views[k + 1]!;
      if (!view._toSend) continue;
      view._toSend = false;
      try {
        branches[k]!._onFrameComplete(view);
      } catch (e) {
        if (!failed) {
          error = e;
          failed = true;
        }
      }
    }
    if (failed) throw error;
    return true;
  }

  private prepare(view: BranchFrame, frame: CircuitFrame): void {
    view.reset();
    const h = view.header;
    const from = frame.header;
    h.data = from.data;
    h.frameExtent = from.frameExtent;
    h.copyMetadataFrom(from);
    view._out = true;
  }

  /** @internal FrameReturnSink: a view came back; the last one returns the delegate's frame. */
  returnFrame(frame: CircuitFrame): void {
    const view = frame as BranchFrame;
    if (!view._out) return;
    view._out = false;
    const slot = view._slot;
    const parent = this.parents[slot]!;
    if (view.status !== Status.success && parent.status === Status.success) parent.status = view.status;
    let violation: StreamError | null = null;
    if (this.verify && checksum(parent.header.data, this.lengths[slot]!) !== this.sums[slot]) {
      this.sums[slot] = checksum(parent.header.data, this.lengths[slot]!); // report each write once
      violation = new StreamError(
        `${this.name}: a write into a shared frame by a read-only branch consumer is not allowed; expected consumers of a shared splitter pipe to only read (a modifying consumer needs a copy branch: INPLACE_MODIFIER)`,
        Status.invalidDeviceRequest,
      );
    }
    view.header.data = null;
    if (--this.pending[slot]! === 0) {
      this.parents[slot] = null;
      this.active--;
      if (this.bound[slot] === 0) this.free[this.freeTop++] = slot;
      parent.returnTo.returnFrame(parent);
    }
    if (violation !== null) throw violation;
  }
}

/** FNV-1a over the first `n` bytes (debug check of shared frames). */
function checksum(data: Uint8Array | null, n: number): number {
  let h = 0x811c9dc5 | 0;
  if (data === null) return h;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
  return h;
}
