// The default graph: a user-mode pattern source → an in-place XOR transform (kernel) → a copy transform (kernel,
// non-in-place: a second pipe) → a user-mode sink. Prints the allocator decision record and the counts.
import { formatDecisionRecord, Graph, MemoryType, simpleFraming } from 'avstream';
import { copyTransform, patternByte, patternChunks, xorTransform } from 'avstream/filters';

const FRAMES = 120;
const SIZE = 1024;

const graph = new Graph();
const source = graph.addSource({ id: 'camera', from: patternChunks(FRAMES, SIZE), frameSize: SIZE, frames: 4 });
const invert = graph.addFilter(xorTransform({ key: 0xff }), { id: 'invert' });
const copy = graph.addFilter(
  copyTransform({ outputFraming: simpleFraming(MemoryType.kernelNonPaged, 0, 3, 63, SIZE, SIZE) }),
  { id: 'copy' },
);
const sink = graph.addSink({ id: 'app' });
graph.connect(source, { filter: invert, pin: 0 });
graph.connect({ filter: invert, pin: 1 }, { filter: copy, pin: 0 });
graph.connect({ filter: copy, pin: 1 }, sink);

console.log(formatDecisionRecord(graph.negotiate()));

graph.run();
const pipes = [...graph.pipes];
let frames = 0;
let bytes = 0;
let wrong = 0;
for await (const frame of sink) {
  const data = frame.data;
  for (let i = 0; i < data.length; i++) if (data[i] !== (patternByte(frames, i) ^ 0xff)) wrong++;
  frames++;
  bytes += frame.dataUsed;
}
await source.finished;
graph.stop();
await graph.whenIdle();

console.log(
  `graph: ${source.framesWritten} frames written (with the end of stream), ${frames} frames / ${bytes} bytes read, ${wrong} wrong bytes`,
);
for (const p of pipes) {
  const s = p.allocator.status();
  console.log(
    `${p.id}: ${p.allocator.kind} allocator at ${p.decision.allocator.pin}, ${s.framing.frames} × ${s.framing.frameSize} B, high-water ${s.highWaterMark}, ${s.allocatedFrames} outstanding, ${p.allocator.state}`,
  );
}
console.log('');
