import {
  Communication,
  connectPins,
  DataFlow,
  FilterFactory,
  KsState,
  type Pin,
  PinFlags,
  Status,
  StreamPointerState,
  setDelegateBranches,
  setPipeSource,
} from '../../src/index.js';
import { type BenchResult, opsPerSecond, registerBench } from '../registry.js';
import { benchAllocator, FRAME, format, POOL } from './graph.js';

let checksum = 0;

/**
 * A SPLITTER source pin type with `branches` delegate branches, each instance connected to a pin-centric sink that
 * reads one byte: every frame the delegate produces fans out as views (no copy) and returns once all sinks are done.
 * `branches` 0 is the same graph without a fan-out (the baseline).
 */
function buildSplitter(branches: number) {
  let budget = 0;
  const source = new FilterFactory({
    pinDescriptors: [
      {
        dispatch: {
          process: (pin: Pin) => {
            if (budget === 0) return Status.pending;
            const lead = pin.getLeadingEdge(StreamPointerState.locked);
            if (lead === null) return Status.pending;
            lead.offset.data![0] = budget & 0xff;
            lead.frame!.header.dataUsed = FRAME;
            budget--;
            lead.unlock(true);
            return Status.success;
          },
        },
        dataRanges: [format],
        dataFlow: DataFlow.out,
        communication: Communication.source,
        flags: PinFlags.splitter,
        instancesPossible: 8,
        instancesNecessary: 0,
        allocatorFraming: null,
      },
    ],
  }).createFilter();
  const sink = new FilterFactory({
    pinDescriptors: [
      {
        dispatch: {
          process: (pin: Pin) => {
            const lead = pin.getLeadingEdge(StreamPointerState.locked);
            if (lead === null) return Status.pending;
            checksum = (checksum + lead.offset.data![0]!) | 0;
            lead.unlock(true);
            return Status.success;
          },
        },
        dataRanges: [format],
        dataFlow: DataFlow.in,
        communication: Communication.sink,
        flags: 0,
        instancesPossible: 8,
        instancesNecessary: 0,
        allocatorFraming: null,
      },
    ],
  }).createFilter();
  const outs: Pin[] = [];
  const ins: Pin[] = [];
  for (let k = 0; k <= branches; k++) {
    const out = source.createPin(0, format);
    const inp = sink.createPin(0, format);
    connectPins(out, inp);
    outs.push(out);
    ins.push(inp);
  }
  const allocator = benchAllocator();
  const fanOut = branches > 0 ? setDelegateBranches(outs[0]!, outs.slice(1), { frames: POOL }) : null;
  setPipeSource(outs[0]!, allocator, { framesPerTurn: Number.POSITIVE_INFINITY });
  for (const p of [...ins, ...outs]) p.setState(KsState.run);
  return {
    fanOut,
    run(n: number): void {
      budget = n;
      outs[0]!.attemptProcessing();
      if (budget !== 0) throw new Error(`splitter bench: ${budget} frames not produced`);
    },
    teardown(): void {
      for (const p of [...outs, ...ins]) p.setState(KsState.stop);
      if (allocator.outstanding !== 0) throw new Error('splitter bench: frames outstanding after STOP');
      allocator.delete();
    },
  };
}

function fanOut3(): BenchResult {
  const gc = (globalThis as { gc?: () => void }).gc;
  const plain = buildSplitter(0);
  const split = buildSplitter(2);
  const one = opsPerSecond((n) => plain.run(n), 1_000_000);
  const three = opsPerSecond((n) => split.run(n), 1_000_000);
  split.run(1_000_000);
  gc?.();
  gc?.();
  const before = process.memoryUsage().heapUsed;
  split.run(5_000_000);
  const growth = Math.max(0, process.memoryUsage().heapUsed - before);
  const records = split.fanOut!.capacity;
  plain.teardown();
  split.teardown();
  return {
    id: 'graph.splitter-fanout',
    value: Math.round(three),
    unit: 'frames/s',
    vs: { 'one-consumer': three / one },
    notes: [
      `a 4 KiB frame fanned out to 3 read-only sinks (views, no copy: 3 consumer hops per frame) vs the same source with one sink: ${Math.round(one).toLocaleString('en')} /s`,
      `heap growth over 5 M fanned-out frames after warm-up: ${growth.toLocaleString('en')} bytes (${gc === undefined ? 'run with --expose-gc' : 'baseline after gc(), no gc after'}); fan-out records ${records} (built up front)${checksum === -1 ? '' : ''}`,
    ],
  };
}

registerBench({
  id: 'graph.splitter-fanout',
  description:
    'frames/s of a SPLITTER pin fanning each 4 KiB frame out to 3 read-only pin-centric sinks (delegate branches: views, no copy) vs one sink; heap growth in the notes',
  run: fanOut3,
});
