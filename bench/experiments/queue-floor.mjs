// The floor of the queue semantics (docs/performance.md, Graph, "Fourth pass"): a minimal re-implementation, with
// no checks, no generic paths and no public API, of what one frame of `graph.inplace-4k` must go through in the model
// — three pins (source → in-place transform → sink), each with its own ring queue and leading edge (both offsets set
// when the edge moves onto a frame), a reference count per frame (queue hold + edge), retire to idle and enqueue into
// the next pin, arrival triggers deferred to a run list while a routine runs, a free stack of 8 × 4 KiB frames and a
// refill after each burst. Not a test and not part of the library: it bounds what any implementation of these
// semantics can reach on the machine it runs on.
//
//   node bench/experiments/queue-floor.mjs   → best CPU ns per frame over 7 rounds of 1 M frames
const FRAME = 4096;
const POOL = Number(process.env.POOL ?? 8);

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

class Edge {
  frame = null;
  pos = 0;
  locked = false;
  offsetIn = new Offset();
  offsetOut = new Offset();
  offset = this.offsetOut;
}

class Queue {
  constructor(pin) {
    this.pin = pin;
    this.ring = new Array(16).fill(null);
    this.mask = 15;
    this.head = 0;
    this.tail = 0;
    this.live = 0;
    this.lead = new Edge();
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
    const a = p.offsetIn;
    a.data = f.data;
    a.mappings = null;
    a.count = f.dataUsed;
    a.remaining = f.dataUsed;
    const b = p.offsetOut;
    b.data = f.data;
    b.mappings = null;
    b.count = f.frameExtent;
    b.remaining = f.frameExtent;
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

let runDepth = 0;
const runList = [];

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
    if (runDepth > 0) {
      if (!this.deferred) {
        this.deferred = true;
        runList.push(this);
      }
      return;
    }
    this.run();
  }

  onComplete(f) {
    if (this.next !== null) this.next.queue.enqueue(f);
    else this.allocator.free(f);
  }

  run() {
    this.processing = true;
    runDepth++;
    do {
      this.rerun = false;
      this.routine(this.queue);
    } while (this.rerun);
    this.processing = false;
    if (--runDepth === 0) drain();
  }

  runDeferred() {
    this.deferred = false;
    if (this.queue.lead.frame !== null) this.run();
  }
}

function drain() {
  runDepth++;
  for (let i = 0; i < runList.length; i++) runList[i].runDeferred();
  runList.length = 0;
  runDepth--;
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
    if (runDepth > 0) {
      if (!this.deferred) {
        this.deferred = true;
        runList.push(this);
      }
      return;
    }
    this.fill();
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

let budget = 0;
let checksum = 0;
const source = new Pin((q) => {
  while (budget !== 0) {
    const lead = q.lockLeading();
    if (lead === null) break;
    lead.offset.data[0] = budget & 0xff;
    lead.frame.dataUsed = FRAME;
    budget--;
    q.unlockEject(lead);
  }
});
const transform = new Pin((q) => {
  for (;;) {
    const lead = q.lockLeading();
    if (lead === null) break;
    const d = lead.offset.data;
    d[1] = d[0] ^ 0x5a;
    q.unlockEject(lead);
  }
});
const sink = new Pin((q) => {
  for (;;) {
    const lead = q.lockLeading();
    if (lead === null) break;
    checksum = (checksum + lead.offset.data[1]) | 0;
    q.unlockEject(lead);
  }
});
source.next = transform;
transform.next = sink;
const allocator = new Allocator(source);
sink.allocator = allocator;
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
  `queue floor: ${best.toFixed(1)} CPU ns per frame (${(1000 / best).toFixed(2)} M frames per CPU second)${checksum === 0.5 ? '' : ''}`,
);
