// The floor of the queue semantics (docs/performance.md, Graph, "Fourth pass"): a minimal re-implementation, with
// no checks, no generic paths and no public API, of what one frame of `graph.inplace-4k` must go through in the model
// — three pins (source → in-place transform → sink), each with its own ring queue and leading edge (both offsets set
// when the edge moves onto a frame), a reference count per frame (queue hold + edge), retire to idle and enqueue into
// the next pin, arrival triggers deferred to a run list while a routine runs, a free stack of 8 × 4 KiB frames and a
// refill after each burst. Not a test and not part of the library: it bounds what any implementation of these
// semantics can reach on the machine it runs on.
//
//   node bench/experiments/queue-floor.mjs   → best CPU ns per frame over 7 rounds of 1 M frames
import { deferred, drain, Edge, FRAME, measure, routines, runs, setOffsets } from './floor-common.mjs';

const POOL = Number(process.env.POOL ?? 8);

class Frame {
  constructor(index) {
    this.data = new Uint8Array(FRAME);
    this.index = index;
    this.queue = null;
    this.seq = 0;
    this.state = 0;
    this.refs = 0;
    this.held = false;
    this.locks = 0;
    this.cancelled = false;
    this.status = 0;
    this.dataUsed = 0;
    this.frameExtent = FRAME;
  }
}

class QueueEdge extends Edge {
  pos = 0;
}

class Queue {
  constructor(pin) {
    this.pin = pin;
    this.ring = new Array(16).fill(null);
    this.mask = 15;
    this.head = 0;
    this.tail = 0;
    this.live = 0;
    this.lead = new QueueEdge();
  }

  enqueue(f) {
    const seq = this.tail++;
    f.queue = this;
    f.seq = seq;
    f.state = 1;
    f.refs = 1;
    f.held = true;
    f.locks = 0;
    f.cancelled = false;
    f.status = 0;
    this.ring[seq & this.mask] = f;
    this.live++;
    const wasEmpty = this.lead.frame === null;
    if (wasEmpty) this.place(this.lead, f);
    this.pin.onArrival(wasEmpty);
  }

  place(p, f) {
    p.frame = f;
    p.pos = f.seq;
    f.refs++;
    setOffsets(p, f);
  }

  lockLeading() {
    const p = this.lead;
    if (p.locked) return p;
    const f = p.frame;
    if (f === null || f.cancelled === true || f.state !== 1) return null;
    p.locked = true;
    f.locks++;
    return p;
  }

  unlockEject(p) {
    const f = p.frame;
    const next = p.pos + 1 < this.tail ? this.ring[(p.pos + 1) & this.mask] : null;
    p.locked = false;
    f.locks--;
    if (next === null) {
      p.frame = null;
      p.pos = this.tail;
      p.offsetIn.data = null;
      p.offsetOut.data = null;
    } else this.place(p, next);
    if (f.held === true) {
      f.held = false;
      f.refs--;
    }
    if (--f.refs > 0) return;
    this.ring[f.seq & this.mask] = null;
    f.state = 0;
    f.queue = null;
    this.live--;
    this.pin.onComplete(f);
    let h = this.head;
    while (h < this.tail && this.ring[h & this.mask] === null) h++;
    this.head = h;
  }
}

class Pin {
  constructor(routine) {
    this.routine = routine;
    this.queue = new Queue(this);
    this.next = null;
    this.allocator = null;
    this.processing = false;
    this.deferred = false;
    this.rerun = false;
  }

  onArrival(wasEmpty) {
    if (!wasEmpty) return;
    if (this.processing) {
      this.rerun = true;
      return;
    }
    if (!deferred(this)) this.run();
  }

  onComplete(f) {
    if (this.next !== null) this.next.queue.enqueue(f);
    else this.allocator.free(f);
  }

  run() {
    this.processing = true;
    runs.depth++;
    do {
      this.rerun = false;
      this.routine(this.queue);
    } while (this.rerun);
    this.processing = false;
    if (--runs.depth === 0) drain();
  }

  runDeferred() {
    this.deferred = false;
    if (this.queue.lead.frame !== null) this.run();
  }
}

class Allocator {
  constructor(source) {
    this.frames = Array.from({ length: POOL }, (_, i) => new Frame(i));
    this.stack = Int32Array.from({ length: POOL }, (_, i) => i);
    this.top = POOL;
    this.source = source;
    this.deferred = false;
    this.filling = false;
  }

  free(f) {
    this.stack[this.top++] = f.index;
    if (!deferred(this)) this.fill();
  }

  runDeferred() {
    this.deferred = false;
    this.fill();
  }

  fill() {
    if (this.filling) return;
    this.filling = true;
    while (this.top > 0) {
      const f = this.frames[this.stack[--this.top]];
      f.dataUsed = 0;
      f.status = 0;
      this.source.queue.enqueue(f);
    }
    this.filling = false;
  }
}

const r = routines();
const source = new Pin(r.source);
const transform = new Pin(r.transform);
const sink = new Pin(r.sink);
source.next = transform;
transform.next = sink;
const allocator = new Allocator(source);
sink.allocator = allocator;
allocator.fill();

measure('queue floor', (n) => {
  r.state.budget = n;
  source.run();
  if (r.state.budget !== 0) throw new Error(`${r.state.budget} frames not produced`);
});
