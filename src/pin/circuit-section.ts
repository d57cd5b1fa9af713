import { KsReset, KsState } from '../state.js';
import { Status } from '../status.js';
import { type Frame, FrameState } from '../stream/frame.js';
import type { Queue, QueueSection } from '../stream/queue.js';
import type { StreamPointer } from '../stream/stream-pointer.js';
import { CircuitFrame, type FrameReturnSink } from './circuit-frame.js';
import { currentRouteEpoch, type Pin, setRouteChangeHook } from './pin.js';

// (module constants for the hop: read as plain values, not as properties of the imported objects)
const IDLE = FrameState.idle;
const SUCCESS = Status.success;

/**
 * The requester side of a section (processing/requester.ts): where its frames return, and the quiet return that
 * takes one back when no callback is due (no listener, no ledger, a slot pool, processing running).
 */
export interface SectionSink extends FrameReturnSink {
  /** Takes `frame` back when only bookkeeping is due; false, with nothing changed, when `returnFrame` must run. */
  _returnQuiet(frame: CircuitFrame): boolean;
}

/**
 * The sections attached now: a route change anywhere detaches them (their pins' routes are cached at the attach). Held
 * weakly — a pipe dropped while running (never stopped) must stay collectable, as it is without sections; the
 * reference of a section collected while attached is dropped at the next route change.
 */
const attachedSections = new Set<WeakRef<CircuitSection>>();
setRouteChangeHook(() => {
  for (const ref of attachedSections) {
    const section = ref.deref();
    if (section === undefined) attachedSections.delete(ref);
    else section._detach();
  }
});

/** Whether requesters form circuit sections (on by default; tests turn it off to compare both paths). */
let sectionsEnabled = true;

/**
 * @internal Turns circuit sections on or off for the sections formed from now on (an attached section stays until it
 * detaches). The observable behaviour is the same either way: the differential tests run both.
 */
export function setCircuitSections(enabled: boolean): void {
  sectionsEnabled = enabled;
}

/** Frames that must enter a section before it counts as lasting (see `_detach`). */
const LASTING = 256;
/** Longest wait, in fills, between attempts to form a section that keeps ending early. */
const MAX_BACKOFF = 4096;

/**
 * A queue whose frames can join a shared ring as they are: no retired slot inside its window, every frame queued, not
 * cancelled, with no cancellation pending, a circuit frame without a request, and the leading edge on the first one.
 */
function windowFits(q: Queue<Pin>): boolean {
  if (q._live !== q._tail - q._head) return false;
  if (q._live === 0) return true;
  const ring = q._ring;
  const mask = q._mask;
  if (q._leading._frame !== ring[q._head & mask]) return false;
  for (let s = q._head; s < q._tail; s++) {
    const f = ring[s & mask];
    if (
      f == null ||
      !(f instanceof CircuitFrame) ||
      f._state !== FrameState.queued ||
      f._cancelled === true ||
      f._cancelPending === true ||
      f.request !== null
    ) {
      return false;
    }
  }
  return true;
}

/** Longest chain of pins a section follows (a longer one — or a cycle — is left to the generic path). */
const MAX_PINS = 256;

/**
 * @internal A circuit section (docs/processing.md "Circuit sections"): the pins of one circuit, from the source pin a
 * requester fills to the pin where frames leave the circuit (back to the requester), while each is simple — a
 * standard-transport queue with no trailing edge, ENFORCE_FIFO or mappings, no clone, no splitter fan-out hooked. The
 * queues then share one ring of frames: consecutive queues are consecutive windows of it (the next pin's `_tail` is
 * this pin's `_head`), so ejecting the leading edge moves the frame on by moving two cursors — no retire, no enqueue.
 * Every per-queue field (`_head`, `_tail`, `_live`, the edges, the frames' `_queue`, `_seq`, `_state`, `_refs`)
 * stays exact, so everything that reads a queue reads the same as without a section.
 *
 * A section holds only while frames leave each queue in order at its head by {@link _hop}. Anything else — a frame
 * completing another way (`Queue._retire`: cancelled, out of order behind a clone, a failure status, a stopped or
 * resetting next pin, a zero-length bypass), a frame entering a queue other than the source (`add`, `addRequest`, a
 * generic hop), a changed route — first {@link _detach | detaches} it: each queue gets its own ring holding its
 * window, and the generic path runs on from there. The requester attaches the section again at a later fill once its pins allow
 * (with a back-off for sections that keep ending early).
 */
export class CircuitSection implements QueueSection {
  /** The source pin (the requester's). */
  readonly source: Pin;
  /** Where the requester's frames return. */
  private readonly _sink: SectionSink;
  /** True while the queues share the ring. */
  attached = false;
  /** The pins of the section, source first (valid while attached). */
  private readonly _pins: Pin[] = [];
  /** Their queues. */
  private readonly _queues: Queue<Pin>[] = [];
  /** Each queue's own ring, kept while the queue uses the shared one. */
  private readonly _own: (Frame | null)[][] = [];
  /** The source pin's queue (while attached). */
  private _sourceQueue: Queue<Pin> | null = null;
  /** The last pin's queue, where frames leave the circuit (while attached). */
  private _lastQueue: Queue<Pin> | null = null;
  /** The source pin ignores an arrival into its non-empty queue (while attached). */
  private _sourceQuiet = false;
  /** The shared ring (kept for the next attach). */
  private _ring: (Frame | null)[] = [];
  /** Sequence number at the attach (the frames that entered since tell how long the section lasted). */
  private _base = 0;
  /** Fills to let pass before the next attempt to attach. */
  private _skip = 0;
  /** The last wait (doubles each time a section ends before {@link LASTING} frames entered). */
  private _backoff = 0;
  /** This section as held by the registry of attached sections (made once). */
  private readonly _ref: WeakRef<CircuitSection> = new WeakRef<CircuitSection>(this);

  constructor(source: Pin, sink: SectionSink) {
    this.source = source;
    this._sink = sink;
  }

  /**
   * Forms the section (at the start of a fill) when every pin of the circuit from the source is simple and every
   * queue's frames can join the shared ring as they are (see `windowFits`): they are laid out in it with new sequence
   * numbers, each edge staying on its frame. Returns true when attached.
   */
  _tryAttach(): boolean {
    if (this.attached || !sectionsEnabled) return this.attached;
    if (this._skip > 0) {
      this._skip--;
      return false;
    }
    const source = this.source;
    if (source.queue === null) return false;
    const pins = this._pins; // (scratch while detached: a failed attempt allocates nothing)
    pins.length = 0;
    let total = 0;
    let pin: Pin | null = source;
    while (pin !== null) {
      const q = pin.queue;
      if (
        q === null ||
        q._section !== null ||
        q._simple !== true ||
        q._doneHead !== q._doneTail ||
        q._firstClone !== null ||
        q._hold !== 0 ||
        q._draining === true ||
        q._resetting === true ||
        q._closed === true ||
        pin._closed === true ||
        pin.pipeState === KsState.stop ||
        pin.resetState !== KsReset.end ||
        pin._fanOut !== null ||
        !windowFits(q) ||
        pins.includes(pin) ||
        pins.length >= MAX_PINS
      ) {
        pins.length = 0;
        return false;
      }
      total += q._live;
      pins.push(pin);
      pin = pin._routeEpoch === currentRouteEpoch() ? pin._route : pin._updateRoute();
    }
    // The shared ring is reused (no queue of the section is inside an operation: checked above, so no loop up the
    // stack still reads it), or made at the size the pipe grew to last time — large enough for the frames queued now.
    let size = Math.max(16, this._ring.length);
    while (size <= total) size *= 2;
    if (this._ring.length < size) this._ring = new Array<Frame | null>(size).fill(null);
    else this._ring.fill(null);
    const ring = this._ring;
    const mask = ring.length - 1;
    const queues = this._queues;
    const own = this._own;
    queues.length = 0;
    own.length = 0;
    for (let i = 0; i < pins.length; i++) {
      const pin = pins[i]!;
      queues.push(pin.queue!);
      own.push(pin.queue!._ring); // (given back, cleared, at the detach)
    }
    // The frames queued now are laid out in the shared ring with new sequence numbers, the last pin's window first, so
    // that each queue's window ends where the previous pin's begins; each edge keeps its frame (and its lock).
    let base = 0;
    for (let i = 0; i < queues.length; i++) base = Math.max(base, queues[i]!._tail);
    let cursor = base;
    for (let i = queues.length - 1; i >= 0; i--) {
      const q = queues[i]!;
      const from = q._ring;
      const fromMask = q._mask;
      const head = cursor;
      for (let s = q._head; s < q._tail; s++) {
        const f = from[s & fromMask]!;
        f._seq = cursor;
        ring[cursor++ & mask] = f;
      }
      q._ring = ring;
      q._mask = mask;
      q._head = head;
      q._tail = cursor;
      const lead = q._leading;
      lead._pos = lead._frame === null ? cursor : lead._frame._seq; // (a frame's edge is on the window's first)
      q._section = this;
      q._sectionIndex = i;
      const next = i === queues.length - 1 ? null : pins[i + 1]!;
      q._sectionNext = next === null ? null : queues[i + 1]!;
      q._sectionNextBypass = next?._bypassesEmptyFrames() === true;
      q._sectionNextQuiet = next?._quietArrivals() === true;
    }
    base = cursor; // (the frames entering from now on count for how long the section lasts)
    this._sourceQueue = queues[0]!;
    this._lastQueue = queues[queues.length - 1]!;
    this._sourceQuiet = source._quietArrivals();
    this._base = base;
    this.attached = true;
    attachedSections.add(this._ref);
    return true;
  }

  /**
   * @internal QueueSection: every queue gets its own ring back (the one it had before the attach, unless its window
   * no longer fits) holding its window; the section ends. The shared ring is left as it is — a queue operation up the
   * stack may still be reading it through a local (e.g. a loop over a window that a callback inside it detached) — and
   * reused by the next attach. Attach and detach allocate nothing once the rings are large enough.
   */
  _detach(): void {
    if (!this.attached) return;
    this.attached = false;
    attachedSections.delete(this._ref);
    const queues = this._queues;
    // A section that ends soon after it formed (a pipe that clones or cancels every few frames) would form and end
    // again at every burst: the next attempts wait for 1, 2, 4 … 4096 fills, until a section lasts again.
    if (queues[0]!._tail - this._base < LASTING) {
      this._backoff = this._backoff === 0 ? 1 : Math.min(this._backoff * 2, MAX_BACKOFF);
      this._skip = this._backoff;
    } else {
      this._backoff = 0;
    }
    for (let i = 0; i < queues.length; i++) {
      const q = queues[i]!;
      const shared = q._ring;
      const sharedMask = q._mask;
      let ring = this._own[i]!;
      if (q._tail - q._head > ring.length - 1) {
        let size = ring.length;
        while (q._tail - q._head > size - 1) size *= 2;
        ring = new Array<Frame | null>(size);
      }
      ring.fill(null);
      const mask = ring.length - 1;
      for (let s = q._head; s < q._tail; s++) ring[s & mask] = shared[s & sharedMask] ?? null;
      q._ring = ring;
      q._mask = mask;
      q._section = null;
      q._sectionIndex = -1;
      q._sectionNext = null;
      q._sectionNextBypass = false;
      q._sectionNextQuiet = false;
    }
    queues.length = 0;
    this._own.length = 0;
    this._pins.length = 0;
    this._sourceQueue = null;
    this._lastQueue = null;
  }

  /** @internal QueueSection: room for one more frame at the source's tail (the ring spans the whole section). */
  _reserve(): void {
    const source = this._sourceQueue!;
    if (source._tail - this._lastQueue!._head > source._mask) this._grow();
  }

  /** The shared ring doubled (every window kept in place). */
  private _grow(): void {
    const queues = this._queues;
    const oldest = this._lastQueue!._head;
    const source = this._sourceQueue!;
    const old = this._ring;
    const oldMask = old.length - 1;
    const size = old.length * 2;
    const ring = new Array<Frame | null>(size).fill(null);
    for (let s = oldest; s < source._tail; s++) ring[s & (size - 1)] = old[s & oldMask] ?? null;
    this._ring = ring;
    for (let i = 0; i < queues.length; i++) {
      queues[i]!._ring = ring;
      queues[i]!._mask = size - 1;
    }
  }

  /**
   * @internal QueueSection: `unlock(true)` of queue `q`'s leading edge `p`, locked on its frame `f` at the head of the
   * queue, when no operation of the queue is in progress (hold, drain, done frames waiting) and no cancellation is
   * pending on `f` — checked here. The frame moves to the next pin's window — the same result as the generic eject,
   * retire, `_onFrameComplete` and `_addNext`, field by field — or, at the last pin, leaves the circuit to its
   * `returnTo`. Every write happens before the one callback that may be due (the next pin's arrival, or the return;
   * none when it would do nothing). False, with nothing changed, when the generic path must run.
   *
   * What the generic path checks per frame and this does not is kept true by detaching instead: a section pin
   * stopping, changing its reset state or closing, a clone, a splitter fan-out hooked, a route change (see the class
   * comment).
   */
  _hop(queue: Queue, pointer: StreamPointer): boolean {
    // (one function, kept small: the Process routine that ejects inlines it — docs/performance.md, sixth pass)
    const q = queue as unknown as Queue<Pin>;
    const p = pointer as unknown as StreamPointer<Pin>;
    const f = p._frame!;
    const pos = p._pos;
    const nq = q._sectionNext; // (null at the last pin: the frame leaves the circuit, whatever its status)
    if (
      q._hold !== 0 ||
      q._draining === true ||
      q._doneHead !== q._doneTail ||
      f._cancelPending === true ||
      pos !== q._head ||
      (nq !== null && (f.status !== SUCCESS || (q._sectionNextBypass === true && f.header.dataUsed === 0)))
    ) {
      return false; // (an operation in progress, a cancellation, a failure or a bypass: the generic path)
    }
    // (a section's queue is simple and has no clone — a clone detaches it — so `p` is its leading edge)
    const n = pos + 1;
    if (n < q._tail) {
      // The next frame is queued and not cancelled: a cancelled or completed frame of the queue would be done (its
      // only reference the queue hold), so waiting in `_done` (checked above) or retired (which detaches).
      const nf = q._ring[n & q._mask]!;
      p._locked = false;
      f._locks--;
      // `_place` for an edge (an edge's `_notified` stays null: only clones are told of cancellations)
      const h = nf.header;
      p._frame = nf;
      p._pos = n;
      nf._refs++;
      p.offsetIn._set(h.data, h.dataUsed);
      p.offsetOut._set(h.data, h.frameExtent);
    } else {
      p._locked = false;
      f._locks--;
      q._parkAtEnd(p);
    }
    q._head = n;
    q._live--;
    if (nq === null) {
      this._leave(q, f);
      return true;
    }
    f._refs--; // the edge's reference; the queue hold goes on with the frame
    nq._tail = n;
    nq._live++;
    f._queue = nq;
    if (nq._leading._frame === null) this._arrive(q, nq, f);
    else if (q._sectionNextQuiet === false) this._callback(q, nq, f, false);
    return true;
  }

  /** The hop into an empty next queue: its edge takes the frame, and the next pin's arrival runs. */
  private _arrive(q: Queue<Pin>, nq: Queue<Pin>, f: Frame): void {
    nq._place(nq._leading, f);
    this._callback(q, nq, f, true);
  }

  /** The hop at the last pin, once the edge moved on: frame `f` leaves the circuit (quietly when only bookkeeping is due). */
  private _leave(q: Queue<Pin>, f: Frame): void {
    q._ring[(q._head - 1) & q._mask] = null;
    f._state = IDLE;
    f._queue = null;
    f._refs = 0;
    f._held = false;
    const sink = this._sink;
    if ((f as CircuitFrame).returnTo !== sink || sink._returnQuiet(f as CircuitFrame) === false) {
      this._callback(q, null, f, false);
    }
  }

  /**
   * The hop's one callback — the next pin's arrival, or the frame's return — run with `q` draining, as the generic
   * completion's is (`Queue._completeNow`): an eject on `q` from inside it waits, done, until the callback returns.
   */
  private _callback(q: Queue<Pin>, nq: Queue<Pin> | null, f: Frame, wasEmpty: boolean): void {
    q._draining = true;
    try {
      if (nq === null) (f as CircuitFrame).returnTo.returnFrame(f as CircuitFrame);
      else nq.host._onArrival(nq as unknown as Queue, wasEmpty);
    } catch (error) {
      q._draining = false;
      q._afterThrow();
      throw error;
    }
    q._draining = false;
    if (q._unsettled()) q._settle();
  }

  /**
   * @internal A circuit frame from the requester enters the section's source queue (attached): `_addNext` and
   * `_enqueue` without what a section rules out there (reset, closed, trailing edge, clones) — the same fields set.
   * Returns true when the source pin's arrival ran (it may have run code: a Process routine, a filter's).
   */
  _enter(f: CircuitFrame): boolean {
    const q = this._sourceQueue!;
    if (q._tail - this._lastQueue!._head > q._mask) this._grow();
    f.request = null;
    f._requestIndex = -1;
    q._admit(f);
    const lead = q._leading;
    if (lead._frame === null) {
      q._place(lead, f);
      q.host._onArrival(q as unknown as Queue, true);
      return true;
    }
    if (this._sourceQuiet) return false; // (the source pin ignores an arrival into a non-empty queue)
    q.host._onArrival(q as unknown as Queue, false);
    return true;
  }
}
