// The floor of a shared-ring representation (docs/performance.md, Graph, "Fourth pass"): the same frame path as
// queue-floor.mjs — source → in-place transform → sink, 8 × 4 KiB frames, each routine locking its leading edge
// (both offsets set when the edge moves onto a frame), ejecting, arrival triggers deferred to a run list, a refill
// after each burst — but the pipe keeps ONE ring of frames and each pin's queue is the window between its leading
// edge and the upstream pin's: a frame moves to the next pin by a cursor increment, with no retire, enqueue or
// per-frame reference count. Valid only while every pin of the section is simple (no trailing edge, clones,
// ENFORCE_FIFO, mappings, cancellation, reset); it bounds what a circuit fast path built that way could reach.
//
//   node bench/experiments/ring-floor.mjs   → best CPU ns per frame over 7 rounds of 1 M frames
const FRAME = 4096;
const POOL = 8; // a power of two (the ring's mask)
const MASK = POOL - 1;

class Offset {
  data = null;
  mappings = null;
  count = 0;
  remaining = 0;
}

class Frame {
  constructor(index) {
    this.data = new Uint8Array(FRAME);
    this.index = index;
    this.dataUsed = 0;
    this.frameExtent = FRAME;
    this.status = 0;
  }
}

class Edge {
  frame = null;
  locked = false;
  offsetIn = new Offset();
  offsetOut = new Offset();
  offset = this.offsetOut;
}

const frames = Array.from({ length: POOL }, (_, i) => new Frame(i));
const ring = new Array(POOL).fill(null);
/** Frames that entered the source (the allocation cursor: the source's window ends there). */
let produced = 0;
let runDepth = 0;
const runList = [];

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
      const a = e.offsetIn;
      a.data = f.data;
      a.mappings = null;
      a.count = f.dataUsed;
      a.remaining = f.dataUsed;
      const b = e.offsetOut;
      b.data = f.data;
      b.mappings = null;
      b.count = f.frameExtent;
      b.remaining = f.frameExtent;
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
    if (runDepth > 0) {
      if (!this.deferred) {
        this.deferred = true;
        runList.push(this);
      }
      return;
    }
    this.run();
  }

  run() {
    this.processing = true;
    runDepth++;
    do {
      this.rerun = false;
      this.routine(this);
    } while (this.rerun);
    this.processing = false;
    if (--runDepth === 0) drain();
  }

  runDeferred() {
    this.deferred = false;
    if (this.lead < this.end()) this.run();
  }
}

function drain() {
  runDepth++;
  for (let i = 0; i < runList.length; i++) runList[i].runDeferred();
  runList.length = 0;
  runDepth--;
}

const allocator = {
  idle: POOL,
  deferred: false,
  source: null,
  free() {
    this.idle++;
    if (runDepth > 0) {
      if (!this.deferred) {
        this.deferred = true;
        runList.push(this);
      }
      return;
    }
    this.fill();
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

let budget = 0;
let checksum = 0;
const source = new Pin((p) => {
  while (budget !== 0) {
    const lead = p.lockLeading();
    if (lead === null) break;
    lead.offset.data[0] = budget & 0xff;
    lead.frame.dataUsed = FRAME;
    budget--;
    p.unlockEject(lead);
  }
});
const transform = new Pin((p) => {
  for (;;) {
    const lead = p.lockLeading();
    if (lead === null) break;
    const d = lead.offset.data;
    d[1] = d[0] ^ 0x5a;
    p.unlockEject(lead);
  }
});
const sink = new Pin((p) => {
  for (;;) {
    const lead = p.lockLeading();
    if (lead === null) break;
    checksum = (checksum + lead.offset.data[1]) | 0;
    p.unlockEject(lead);
  }
});
source.down = transform;
transform.up = source;
transform.down = sink;
sink.up = transform;
allocator.source = source;
allocator.fill();

function run(n) {
  budget = n;
  source.run();
  if (budget !== 0) throw new Error(`${budget} frames not produced`);
}

run(2_000_000);
let best = Number.POSITIVE_INFINITY;
for (let r = 0; r < 7; r++) {
  const c0 = process.cpuUsage();
  run(1_000_000);
  const c = process.cpuUsage(c0);
  best = Math.min(best, ((c.user + c.system) * 1000) / 1_000_000);
}
console.log(
  `ring floor: ${best.toFixed(1)} CPU ns per frame (${(1000 / best).toFixed(2)} M frames per CPU second)${checksum === 0.5 ? '' : ''}`,
);
