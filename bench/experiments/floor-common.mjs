// What queue-floor.mjs and ring-floor.mjs share: the offsets, the run list, the three routines of graph.inplace-4k
// and the measurement (best CPU ns per frame over 7 rounds of 1 M frames after 2 M frames of warm-up).
export const FRAME = 4096;

/** KSSTREAM_POINTER_OFFSET. */
export class Offset {
  data = null;
  mappings = null;
  count = 0;
  remaining = 0;
}

/** A leading edge: its frame, lock state and both offsets. */
export class Edge {
  frame = null;
  locked = false;
  offsetIn = new Offset();
  offsetOut = new Offset();
  offset = this.offsetOut;
}

/** Puts both offsets of `edge` on frame `f` (what the model does each time an edge moves onto a frame). */
export function setOffsets(edge, f) {
  const a = edge.offsetIn;
  a.data = f.data;
  a.mappings = null;
  a.count = f.dataUsed;
  a.remaining = f.dataUsed;
  const b = edge.offsetOut;
  b.data = f.data;
  b.mappings = null;
  b.count = f.frameExtent;
  b.remaining = f.frameExtent;
}

/** The run list: triggers raised while a routine runs wait for the outermost run to return. */
export const runs = { depth: 0, list: [] };

/** Defers `entry` (once) when a routine runs; false when the caller may run it now. */
export function deferred(entry) {
  if (runs.depth === 0) return false;
  if (!entry.deferred) {
    entry.deferred = true;
    runs.list.push(entry);
  }
  return true;
}

/** Runs the deferred entries in order (the outermost run, after its routine returned). */
export function drain() {
  runs.depth++;
  const list = runs.list;
  for (let i = 0; i < list.length; i++) list[i].runDeferred();
  list.length = 0;
  runs.depth--;
}

/** The bench's three looping routines over anything with `lockLeading()` / `unlockEject(edge)`; `state.budget`. */
export function routines() {
  const state = { budget: 0, checksum: 0 };
  return {
    state,
    source(q) {
      while (state.budget !== 0) {
        const lead = q.lockLeading();
        if (lead === null) break;
        lead.offset.data[0] = state.budget & 0xff;
        lead.frame.dataUsed = FRAME;
        state.budget--;
        q.unlockEject(lead);
      }
    },
    transform(q) {
      for (;;) {
        const lead = q.lockLeading();
        if (lead === null) break;
        const d = lead.offset.data;
        d[1] = d[0] ^ 0x5a;
        q.unlockEject(lead);
      }
    },
    sink(q) {
      for (;;) {
        const lead = q.lockLeading();
        if (lead === null) break;
        state.checksum = (state.checksum + lead.offset.data[1]) | 0;
        q.unlockEject(lead);
      }
    },
  };
}

/** Prints the best CPU ns per frame of `runFrames(n)` (which must move n frames through the graph). */
export function measure(label, runFrames) {
  runFrames(2_000_000);
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 7; r++) {
    const c0 = process.cpuUsage();
    runFrames(1_000_000);
    const c = process.cpuUsage(c0);
    best = Math.min(best, ((c.user + c.system) * 1000) / 1_000_000);
  }
  console.log(`${label}: ${best.toFixed(1)} CPU ns per frame (${(1000 / best).toFixed(2)} M frames per CPU second)`);
}
