import { AllocatorBase, INITIALIZED } from '../allocator/allocator-base.js';
import { SlotPoolAllocator } from '../allocator/slot-pool.js';
import type { FrameAllocator, FrameBuffer } from '../allocator/types.js';
import { argumentError } from '../errors.js';
import { CircuitFrame } from '../pin/circuit-frame.js';
import { CircuitSection, type SectionSink } from '../pin/circuit-section.js';
import { deferRun, type Pin, type PinStateObserver, processingRuns, type RunListEntry } from '../pin/pin.js';
import { KsReset, KsState, type KsStateValue } from '../state.js';
import { FrameState } from '../stream/frame.js';
import { FrameLedger } from '../stream/frame-ledger.js';
import type { WorkScheduler } from './scheduler.js';

// (read per frame: module constants, folded by the compiler, not properties of imported objects)
const ACQUIRE = KsState.acquire;
const RESET_END = KsReset.end;
const POOL_INITIALIZED = INITIALIZED;
const IDLE = FrameState.idle;

/** Options of a {@link Requester}. */
export interface RequesterOptions {
  /**
   * The most frames the requester queues in one turn of the caller (counted across fill calls, reset when a new
   * microtask runs or the continuation runs) before it stops and continues on `yieldScheduler` — so a pipe whose
   * filters never pend (an endless kernel source feeding synchronous consumers) cannot hold the event loop forever.
   * Default 4096; `Infinity` = never yield.
   */
  readonly framesPerTurn?: number;
  /**
   * Where the requester continues after a turn's quota is used. Default: the source pin's filter scheduler. The
   * graph manager passes a macrotask scheduler (`GraphOptions.yieldScheduler`), so other work gets the event loop.
   */
  readonly yieldScheduler?: WorkScheduler;
  /**
   * Debug mode: a {@link FrameLedger} that records every frame this requester hands out (holder `requester of pin
   * <id>`; `outstanding()` shows which pin holds it now) until it comes back. Default null (nothing tracked).
   */
  readonly ledger?: FrameLedger | null;
}

/**
 * The allocator as a slot pool whose fused `_allocateSlot`/`_freeSlot` stand for its `allocate()`/`free()`: not in
 * debug mode, and taking and giving back slots as `SlotPoolAllocator` does (a subclass overriding `_take` or `_give`
 * keeps the generic path), else null.
 */
function fusablePool(allocator: FrameAllocator): SlotPoolAllocator | null {
  if (!(allocator instanceof SlotPoolAllocator) || allocator._debug !== false) return null;
  const base = SlotPoolAllocator.prototype;
  return allocator._take === base._take && allocator._give === base._give ? allocator : null;
}

/**
 * The requester at a pipe's source pin (spec §7): it takes empty frames from the pipe's allocator into the source
 * pin's queue while the pin is at ACQUIRE or above (not injecting, not resetting; the allocator not waiting on
 * `deleteWhenIdle`), and takes every frame back when it leaves the circuit (after the last pin, or flushed) to free
 * it. When `allocate()` returns null it stalls until a frame comes back — back-pressure: the source waits until
 * downstream completes frames. Its own frames come back through `returnFrame`, which resumes it directly; when someone
 * else also holds frames of the allocator it subscribes to the allocator's FREEFRAME signal (once) and resumes on any
 * free.
 *
 * Frame objects are built once per allocator slot and reused; steady state allocates nothing.
 */
export class Requester implements SectionSink, PinStateObserver, RunListEntry {
  /** The pipe's source pin. */
  readonly pin: Pin;
  /** The pipe's allocator (initialized by the graph manager). */
  readonly allocator: FrameAllocator;
  /** The allocator when it is an {@link AllocatorBase}: its lifecycle state is then read as one numeric field. */
  private readonly base: AllocatorBase | null;
  /**
   * The allocator when it is a slot pool (default or user-memory allocator) not in debug mode: frames are then taken
   * and given back through its fused `_allocateSlot`/`_freeSlot` (the same accounting and checks, fewer steps).
   * Vendor allocators and other implementations go through `allocate()`/`free()`.
   */
  private readonly pool: SlotPoolAllocator | null;
  private readonly framesPerTurn: number;
  private readonly yieldScheduler: WorkScheduler | null;
  /** Frames queued since the turn began (a small integer: reset by `resetTurn` or the continuation). */
  private turnMade = 0;
  private readonly resetTurn: () => void;
  private readonly ledger: FrameLedger | null;
  private readonly holder: string;
  /** The pipe's circuit section (pin/circuit-section.ts), attached at a fill when its pins allow. */
  private readonly section: CircuitSection;
  private readonly frames: Array<CircuitFrame | undefined> = [];
  private filling = false;
  private again = false;
  private continuationQueued = false;
  /** A refill waits on the run list (frames came back while a Process routine ran). */
  private refillDeferred = false;
  private detached = false;
  private removeListener: (() => void) | null = null;
  /** A slot pool, no ledger and no FREEFRAME subscription: returns may be quiet (`_returnQuiet`). */
  private quietReturns = false;
  private readonly removeObserver: () => void;
  private readonly onFree: () => void;
  private readonly continueFill: () => void;
  /** Frames taken from the allocator and not yet freed. */
  outstanding = 0;
  /** How often `allocate()` found no free frame (back-pressure events). */
  stalls = 0;

  constructor(pin: Pin, allocator: FrameAllocator, options: RequesterOptions = {}) {
    const perTurn = options.framesPerTurn ?? 4096;
    if (!(perTurn >= 1)) throw argumentError('range', 'framesPerTurn', perTurn, 'a number ≥ 1 or Infinity');
    if (pin.queue === null) {
      throw argumentError('type', 'pin', 'no standard transport', 'a pin with a queue (standard transport)');
    }
    this.pin = pin;
    this.allocator = allocator;
    this.base = allocator instanceof AllocatorBase ? allocator : null;
    this.pool = fusablePool(allocator);
    this.framesPerTurn = perTurn;
    const yieldScheduler = options.yieldScheduler ?? null;
    if (yieldScheduler !== null && typeof yieldScheduler !== 'function') {
      throw argumentError('type', 'yieldScheduler', yieldScheduler, 'a WorkScheduler function');
    }
    this.yieldScheduler = yieldScheduler;
    const ledger = options.ledger ?? null;
    if (ledger !== null && !(ledger instanceof FrameLedger)) {
      throw argumentError('type', 'options.ledger', ledger, 'a FrameLedger or null');
    }
    this.ledger = ledger;
    this.quietReturns = this.pool !== null && ledger === null;
    this.holder = `requester of pin ${pin.id}`;
    this.section = new CircuitSection(pin, this);
    this.onFree = () => this.fill();
    this.resetTurn = () => {
      this.turnMade = 0;
    };
    this.continueFill = () => {
      this.continuationQueued = false;
      this.turnMade = 0;
      this.fill();
    };
    this.removeObserver = pin.addStateObserver(this);
    if (pin.pipeState >= KsState.acquire) this.fill();
  }

  /**
   * @internal A user-mode request (an endpoint's write) starts a new turn: the frames it moves are the application's
   * own synchronous work, not an endless kernel circuit, so the quota of the work before it no longer applies. A fill
   * stopped by the quota resumes at once.
   */
  _newTurn(): void {
    if (this.filling) return;
    this.turnMade = 0;
    if (this.continuationQueued) this.fill();
  }

  /** @internal PinStateObserver: start filling when the pin leaves STOP. */
  onPinState(_pin: Pin, from: KsStateValue, to: KsStateValue): void {
    if (from === KsState.stop && to > KsState.stop) this.fill();
  }

  private active(): boolean {
    const pin = this.pin;
    return (
      this.detached === false &&
      pin.pipeState >= ACQUIRE &&
      pin._injecting === false &&
      pin.resetState === RESET_END &&
      pin._closed === false &&
      // initialized and no deleteWhenIdle pending (its state still reads `initialized`, but allocate() refuses then:
      // frames only come back); an AllocatorBase keeps both in one numeric field
      (this.base !== null ? this.base._state === POOL_INITIALIZED : this.allocatorActive())
    );
  }

  /** `active()` for an allocator that is not an {@link AllocatorBase}: through its public getters. */
  private allocatorActive(): boolean {
    return this.allocator.state === 'initialized' && this.allocator.deletePending === false;
  }

  /**
   * Queues empty frames until the allocator runs out (a returning frame or FREEFRAME resumes it) or the turn's quota
   * is used (then it continues on the yield scheduler: one scheduled continuation per burst, and one microtask that
   * marks the next turn). Re-entrant calls (a frame freed while filling) only mark more work.
   */
  fill(): void {
    if (this.filling === true) {
      this.again = true;
      return;
    }
    this.filling = true;
    if (this.section.attached === false && this.detached === false) this.section._tryAttach();
    // (the loop is kept small — the rare paths are methods of their own — so that the per-frame steps inline into it)
    const queue = this.pin.queue!;
    const pool = this.pool;
    const perTurn = this.framesPerTurn;
    const counted = perTurn !== Number.POSITIVE_INFINITY; // without a quota nothing is counted (it would grow forever)
    let made = this.turnMade; // a local while filling (nothing else runs meanwhile); written back on the way out
    // active() holds until code runs: it is checked again after an entry whose arrival ran (a Process routine may
    // stop, reset, close or inject) or after allocate() (a vendor allocator's dispatch), not after a quiet entry of a
    // fused slot
    let holds = false;
    try {
      do {
        this.again = false;
        holds = false;
        while (holds || this.active()) {
          // The quota counts across fill calls (a frame returning refills one at a time): an endless synchronous
          // circuit trips it, stops here (the source's Process then finds no frame and returns) and continues later.
          if (made >= perTurn) {
            this.continueLater(this.yieldScheduler ?? this.pin.filter._scheduler);
            return;
          }
          // A slot pool's fused allocate takes a free slot when allocate() would have nothing else to decide;
          // -1 sends everything else (vendor allocators, a paged pool growing, the Frames limit) to allocate().
          const slot = pool !== null ? pool._allocateSlot() : -1;
          let frame: CircuitFrame | null;
          if (slot >= 0) {
            // The frame of the slot just taken, ready to enter the source's queue: only its header is reset here —
            // the frame's own fields that `reset()` would clear (status, request, cancellation) are set as it enters
            // the queue, so the circuit's frame is reset exactly once. A frame not built yet, no longer on the slot's
            // handle, or not idle takes `frameFor` (which attaches, resets or throws). (Written out here, not a
            // method: the loop stays one unit for the compiler, its per-frame steps inlined into it.)
            frame = this.frames[slot]!;
            const handle = pool!._handles[slot]!;
            if (frame === undefined || frame.buffer !== handle || frame._state !== IDLE) {
              frame = this.frameFor(handle);
            } else {
              frame.header.reset();
              if (this.ledger !== null) this.ledger.track(frame, this.holder);
            }
          } else {
            frame = this.allocateFrame();
            if (frame === null) break;
            // allocate() may have run code (a vendor allocator's dispatch) that stopped, reset or closed the pin, or
            // detached us: the frame is not entered then (a resetting queue refuses it, a closed pin never gives it
            // back) but freed at once
            if (this.active() === false) {
              this.giveBack(frame);
              break;
            }
          }
          // The first frame of a turn marks the next turn (a microtask resets the count; counts up: a small integer,
          // a float budget would box a number per frame).
          if (counted && made++ === 0) queueMicrotask(this.resetTurn);
          this.outstanding++;
          // (add without its argument checks: the frame is idle, and _addNext refuses a resetting queue as add does)
          // (into an attached circuit section: its source queue's lean entry, pin/circuit-section.ts)
          if (queue._section === this.section) {
            // (allocate() may have run code too — a vendor allocator's dispatch — so only a fused slot counts)
            holds = this.section._enter(frame) === false && slot >= 0;
          } else {
            queue._addNext(frame);
            holds = false;
          }
        }
      } while (this.again && this.active());
    } finally {
      this.filling = false;
      this.turnMade = made;
    }
  }

  /**
   * A frame through `allocate()` (vendor allocators, a slot pool's cases the fused allocate leaves to it), or null
   * when it has none: a stall (counted), waiting for a frame to come back.
   */
  private allocateFrame(): CircuitFrame | null {
    const allocator = this.allocator;
    const frames = allocator.framing?.frames ?? 0; // the allocator may have been initialized after we attached
    // At the framing's Frames limit allocate() would return null: skip the call (and its failure count).
    const buffer = frames > 0 && allocator.outstanding >= frames ? null : allocator.allocate();
    if (buffer === null) {
      this.stalls++;
      // Frames of ours come back through returnFrame, which resumes filling. If someone else holds frames of this
      // allocator, wait for its FREEFRAME signal too (subscribed once, kept).
      if (this.removeListener === null && allocator.outstanding > this.outstanding) {
        this.removeListener = allocator.onFreeFrame(this.onFree);
        this.quietReturns = false;
      }
      return null;
    }
    return this.frameFor(buffer);
  }

  /** A frame just allocated and never entered goes back to the allocator (not counted as outstanding yet). */
  private giveBack(frame: CircuitFrame): void {
    if (this.ledger !== null) this.ledger.untrack(frame);
    this.allocator.free(frame.buffer as FrameBuffer);
  }

  private frameFor(buffer: FrameBuffer): CircuitFrame {
    let frame = this.frames[buffer.index];
    if (frame === undefined) {
      frame = new CircuitFrame(this, buffer);
      frame._poolSlot = buffer.index;
      this.frames[buffer.index] = frame;
    } else if (frame.buffer !== buffer) {
      frame.attach(buffer);
    }
    frame.reset();
    if (this.ledger !== null) this.ledger.track(frame, this.holder);
    return frame;
  }

  /** @internal FrameReturnSink: a frame left the circuit; free it and refill. */
  returnFrame(frame: CircuitFrame): void {
    const buffer = frame.buffer;
    if (buffer === null) return;
    this.outstanding--;
    if (this.ledger !== null) this.ledger.untrack(frame);
    // (a slot pool's fused free when nothing but the bookkeeping is due; free() does the rest and throws the typed
    // errors: double free, foreign buffer)
    const pool = this.pool;
    if (pool === null || pool._freeSlot(frame._poolSlot, buffer) === false) {
      try {
        this.allocator.free(buffer);
      } catch (error) {
        // A FREEFRAME listener threw after the free (or free() refused the buffer): the error propagates, but the
        // refill this return owes must not be lost with it — with no frame out, nothing else would resume the pipe.
        if (this.removeListener === null) this.continueLater(this.pin.filter._scheduler);
        throw error;
      }
    }
    if (this.removeListener !== null) return;
    if (processingRuns()) {
      // Frames come back from inside a Process routine (the last pin's completion): refill once, in a burst, after
      // the routine returns (the source's trigger would wait for that anyway; docs/processing.md "Deferred arrival
      // triggers"). The buffer itself is free at once.
      if (this.refillDeferred === false) {
        this.refillDeferred = true;
        deferRun(this);
      }
      return;
    }
    this.fill();
  }

  /**
   * @internal SectionSink: `returnFrame` when nothing but bookkeeping is due — a fused slot pool takes the slot back,
   * no ledger, no FREEFRAME listener, and processing runs (the refill is deferred to the run list) — so a circuit
   * section's hop needs no callback. False, with nothing changed, otherwise.
   */
  _returnQuiet(frame: CircuitFrame): boolean {
    // (a frame without a buffer is no slot's handle: `_freeSlot` refuses it, and `returnFrame` ignores it)
    if (this.quietReturns === false || processingRuns() === false) return false;
    if (this.pool!._freeSlot(frame._poolSlot, frame.buffer as FrameBuffer) === false) return false;
    this.outstanding--;
    if (this.refillDeferred === false) {
      this.refillDeferred = true;
      deferRun(this);
    }
    return true;
  }

  /** @internal RunListEntry: the deferred refill. */
  _runDeferred(): void {
    this.refillDeferred = false;
    this.fill();
  }

  /** @internal RunListEntry: a routine threw before the refill ran; it continues as a work item. */
  _abandonDeferred(): void {
    this.refillDeferred = false;
    this.continueLater(this.pin.filter._scheduler);
  }

  /**
   * Filling continues as a work item of `scheduler` (the yield scheduler after a turn's quota, the source filter's
   * after an error): queued once, however often asked before it runs.
   */
  private continueLater(scheduler: WorkScheduler): void {
    if (!this.continuationQueued) {
      this.continuationQueued = true;
      scheduler(this.continueFill);
    }
  }

  /** Stops requesting: unhooks from the pin and the allocator (frames still out come back through returnFrame). */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.section._detach();
    this.removeListener?.();
    this.removeListener = null;
    this.quietReturns = false; // (detached: every frame still out comes back through returnFrame)
    this.removeObserver();
  }
}
