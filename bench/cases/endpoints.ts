import { xorTransform } from '../../src/filters/index.js';
import { Graph } from '../../src/index.js';
import { opsPerSecond, registerBench } from '../registry.js';

const FRAME = 4096;

/**
 * graph.endpoints: frames per second through source endpoint → in-place XOR (kernel) → sink endpoint, with the
 * synchronous edges (`tryWrite` copies a 4 KiB chunk into a user-memory frame, `tryRead` + `release` hands it back).
 * Peer `bareLoop`: the same bytes work without a graph (copy into a buffer, XOR it, read it).
 */
registerBench({
  id: 'graph.endpoints',
  description: 'frames/s: source endpoint → in-place XOR → sink endpoint (4 KiB, tryWrite/tryRead)',
  run() {
    const graph = new Graph();
    const source = graph.addSource({ frameSize: FRAME, frames: 4 });
    const x = graph.addFilter(xorTransform({ key: 0x5a }));
    const sink = graph.addSink();
    graph.connect(source, { filter: x, pin: 0 });
    graph.connect({ filter: x, pin: 1 }, sink);
    graph.run();
    const chunk = new Uint8Array(FRAME).fill(7);
    let checksum = 0;
    const ours = opsPerSecond((n) => {
      for (let i = 0; i < n; i++) {
        if (!source.tryWrite(chunk)) throw new Error('bench: no free frame');
        const f = sink.tryRead()!;
        checksum += f.data[i & (FRAME - 1)]!;
        f.release();
      }
    }, 20_000);
    graph.stop();
    const buffer = new Uint8Array(FRAME);
    const peer = opsPerSecond((n) => {
      for (let i = 0; i < n; i++) {
        buffer.set(chunk);
        for (let k = 0; k < FRAME; k++) buffer[k]! ^= 0x5a;
        checksum += buffer[i & (FRAME - 1)]!;
      }
    }, 20_000);
    return {
      id: 'graph.endpoints',
      value: Math.round(ours),
      unit: 'frames/s',
      vs: { bareLoop: ours / peer },
      notes: [`bare loop ${Math.round(peer).toLocaleString('en')} frames/s (checksum ${checksum & 0xff})`],
    };
  },
});
