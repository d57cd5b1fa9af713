// The floor of a shared-ring representation (docs/performance.md, Graph, "Fourth pass"): the same frame path as
// queue-floor.mjs — source → in-place transform → sink, 8 × 4 KiB frames, each routine locking its leading edge
// (both offsets set when the edge moves onto a frame), ejecting, arrival triggers deferred to a run list, a refill
// after each burst — but the pipe keeps ONE ring of frames and each pin's queue is the window between its leading
// edge and the upstream pin's: a frame moves to the next pin by a cursor increment, with no retire, enqueue or
// per-frame reference count. Valid only while every pin of the section is simple (no trailing edge, clones,
// ENFORCE_FIFO, mappings, cancellation, reset); it bounds what a circuit fast path built that way could reach.
//
//   node bench/experiments/ring-floor.mjs   → best CPU ns per frame over 7 rounds of 1 M frames
import { deferred, drain, Edge, FRAME, measure, routines, runs, setOffsets } from './floor-common.mjs';

const POOL = 8; // a power of two (the ring's mask)
const MASK = POOL - 1;

class Frame {
  constructor(index) {
    this.data = new Uint8Array(FRAME);
    this.index = index;
    this.dataUsed = 0;
    this.frameExtent = FRAME;
    this.status = 0;
  }
}

const frames = Array.from({ length: POOL }, (_, i) => new Frame(i));
const ring = new Array(POOL).fill(null);
/** Frames that entered the source (the allocation cursor: the source's window ends there). */
let produced = 0;

class Pin {
  constructor(routine) {
    this.routine = routine;
    this.lead = 0; // the leading edge's sequence number; the window is [lead, upstream end)
    this.up = null;
    this.down = null;
    this.edge = new Edge();
    this.processing = false;
    this.deferred = false;
    this.rerun = false;
  }

  end() {
    return this.up === null ? produced : this.up.lead;
  }

  lockLeading() {
    const e = this.edge;
    if (e.locked) return e;
    if (this.lead >= this.end()) return null;
    const f = ring[this.lead & MASK];
    if (e.frame !== f) {
      e.frame = f;
      setOffsets(e, f);
    }
    e.locked = true;
    return e;
  }

  unlockEject(e) {
    e.locked = false;
    e.frame = null;
    const d = this.down;
    const wasEmpty = d !== null && d.lead === this.lead;
    this.lead++;
    if (d === null) allocator.free();
    else if (wasEmpty) d.onArrival();
  }

  onArrival() {
    if (this.processing) {
      this.rerun = true;
      return;
    }
    if (!deferred(this)) this.run();
  }

  run() {
    this.processing = true;
    runs.depth++;
    do {
      this.rerun = false;
      this.routine(this);
    } while (this.rerun);
    this.processing = false;
    if (--runs.depth === 0) drain();
  }

  runDeferred() {
    this.deferred = false;
    if (this.lead < this.end()) this.run();
  }
}

const allocator = {
  idle: POOL,
  deferred: false,
  source: null,
  free() {
    this.idle++;
    if (!deferred(this)) this.fill();
  },
  runDeferred() {
    this.deferred = false;
    this.fill();
  },
  fill() {
    const wasEmpty = this.source.lead === produced;
    while (this.idle > 0) {
      this.idle--;
      const f = frames[produced & MASK];
      f.dataUsed = 0;
      f.status = 0;
      ring[produced & MASK] = f;
      produced++;
    }
    if (wasEmpty) this.source.onArrival();
  },
};

const r = routines();
const source = new Pin(r.source);
const transform = new Pin(r.transform);
const sink = new Pin(r.sink);
source.down = transform;
transform.up = source;
transform.down = sink;
sink.up = transform;
allocator.source = source;
allocator.fill();

measure('ring floor', (n) => {
  r.state.budget = n;
  source.run();
  if (r.state.budget !== 0) throw new Error(`${r.state.budget} frames not produced`);
});
