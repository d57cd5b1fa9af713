import assert from 'node:assert/strict';
import type { AllocatorBase } from '../../src/allocator/allocator-base.js';
import { createDefaultAllocator } from '../../src/allocator/default-allocator.js';
import { createVendorAllocator } from '../../src/allocator/vendor-allocator.js';
import { FilterFlags } from '../../src/filter/filter-descriptor.js';
import { FilterFactory } from '../../src/filter/filter-factory.js';
import { FileAlignment, PoolType } from '../../src/framing/constants.js';
import { setCircuitSections } from '../../src/pin/circuit-section.js';
import { connectPins, linkInPlace, type Pin } from '../../src/pin/pin.js';
import { Communication, DataFlow } from '../../src/pin/pin-descriptor.js';
import { ManualWorkScheduler } from '../../src/processing/scheduler.js';
import { setPipeSource } from '../../src/processing/wiring.js';
import { KsReset, KsState } from '../../src/state.js';
import { Status } from '../../src/status.js';
import type { Frame } from '../../src/stream/frame.js';
import { FrameLedger } from '../../src/stream/frame-ledger.js';
import { StreamPointerState } from '../../src/stream/stream-pointer.js';
import { commonBufferVendor } from '../allocator/helpers.js';
import { pinDescriptor, spyReturns, streamFormat } from './helpers.js';

// Adversarial review of circuit sections (pin/circuit-section.ts): each scenario runs the same script on a pipe with
// sections on and on one with sections off (setCircuitSections(false) before the pipe is built) and compares the log
// (what the routines saw, the order frames came back in, errors) and the final snapshot of every queue, frame and the
// allocator. Each test also checks that the section really formed in the "on" run, so it cannot pass vacuously.

type Routine = (pin: Pin, h: Harness) => number;

interface PipeOptions {
  /** Frames of the pool. */
  readonly frames: number;
  /** An in-place transform (its input processes; its output is routed past) between source and sink. */
  readonly transform?: boolean;
  /** The transform's in-place output pin has a Process routine too (then the circuit stops at it as well). */
  readonly outProcesses?: boolean;
  /** The sink's (and transform's) filter receives zero-length samples. */
  readonly receiveZero?: boolean;
  /** The sink filter is filter-centric (its Process works on the sink pin). */
  readonly filterCentricSink?: boolean;
  /** A vendor allocator (frames carved from one common buffer) instead of the default one; its allocate dispatch calls
   * the harness's `onAllocate` first. */
  readonly vendor?: boolean;
  /** KSPIN_FLAG_* bits of the source, the transform's input and the sink pin (default 0). */
  readonly srcFlags?: number;
  readonly midFlags?: number;
  readonly snkFlags?: number;
  /** The requester records its frames in a FrameLedger (debug mode: `h.ledger`). */
  readonly ledger?: boolean;
}

interface Harness {
  readonly src: Pin;
  readonly mid: Pin | null;
  readonly snk: Pin;
  readonly pins: Pin[];
  readonly log: string[];
  readonly allocator: AllocatorBase;
  /** The requester's ledger (`ledger: true`), else null. */
  readonly ledger: FrameLedger | null;
  /** Called by the vendor allocator's allocate dispatch (`vendor: true`), before it takes a frame. */
  onAllocate: () => void;
  requester: ReturnType<typeof setPipeSource>;
  /** Requesters made on other pins of the pipe (sharing the pool). */
  readonly others: ReturnType<typeof setPipeSource>[];
  readonly work: ManualWorkScheduler;
  /** Routines by pin name (replace freely while running). */
  readonly routines: Record<string, Routine>;
  id(f: Frame | null): string;
  /** The section's queues sharing a ring now (one flag per pin). */
  attached(): boolean[];
  snapshot(): unknown;
  /** Notes whether a section is attached now (assertSame requires one at some check in the run with sections on). */
  check(): void;
  /** An eject on `pin`'s leading edge from outside any Process routine (a DPC). */
  ejectOutside(pin: Pin): void;
}

const idle: Routine = () => Status.pending;

function build(options: PipeOptions): Harness {
  const work = new ManualWorkScheduler();
  const log: string[] = [];
  const routines: Record<string, Routine> = { src: idle, mid: idle, out: idle, snk: idle };
  let h!: Harness;
  const proc = (name: string) => (pin: Pin) => routines[name]!(pin, h);
  const zero = options.receiveZero === true ? FilterFlags.receiveZeroLengthSamples : 0;
  const factory = (pins: ReturnType<typeof pinDescriptor>[], flags: number, fcProcess?: () => number) =>
    new FilterFactory(
      { pinDescriptors: pins, flags, dispatch: fcProcess === undefined ? null : { process: fcProcess } },
      { scheduler: work.schedule },
    ).createFilter();
  const src = factory(
    [
      pinDescriptor({
        dataFlow: DataFlow.out,
        communication: Communication.source,
        flags: options.srcFlags ?? 0,
        dispatch: { process: proc('src') },
      }),
    ],
    0,
  ).createPin(0, streamFormat);
  let mid: Pin | null = null;
  let last = src;
  if (options.transform === true) {
    const f = factory(
      [
        pinDescriptor({ dataFlow: DataFlow.in, flags: options.midFlags ?? 0, dispatch: { process: proc('mid') } }),
        pinDescriptor({
          dataFlow: DataFlow.out,
          communication: Communication.source,
          dispatch: options.outProcesses === true ? { process: proc('out') } : null,
        }),
      ],
      zero,
    );
    mid = f.createPin(0, streamFormat);
    const out = f.createPin(1, streamFormat);
    connectPins(src, mid);
    linkInPlace(mid, out);
    last = out;
  }
  let snk: Pin;
  if (options.filterCentricSink === true) {
    const f = factory([pinDescriptor({ dataFlow: DataFlow.in, flags: options.snkFlags ?? 0 })], zero, () =>
      routines.snk!(snk, h),
    );
    snk = f.createPin(0, streamFormat);
  } else {
    snk = factory(
      [pinDescriptor({ dataFlow: DataFlow.in, flags: options.snkFlags ?? 0, dispatch: { process: proc('snk') } })],
      zero,
    ).createPin(0, streamFormat);
  }
  connectPins(last, snk);
  let allocator: AllocatorBase;
  if (options.vendor === true) {
    const { dispatch } = commonBufferVendor();
    const allocate = dispatch.allocate;
    allocator = createVendorAllocator({
      ...dispatch,
      allocate: (context) => {
        h.onAllocate();
        return allocate(context);
      },
    });
  } else {
    allocator = createDefaultAllocator();
  }
  allocator.initialize(null, {
    optionsFlags: 0,
    poolType: PoolType.nonPagedPool,
    frames: options.frames,
    frameSize: 16,
    fileAlignment: FileAlignment.long,
    reserved: 0,
  });
  const id = (f: Frame | null) => (f === null ? '-' : f.buffer !== null ? `f${f.buffer.index}` : 'x');
  const out = mid?.inPlaceCounterpart ?? null;
  const pins = mid === null ? [src, snk] : options.outProcesses === true ? [src, mid, out!, snk] : [src, mid, snk];
  const names =
    mid === null
      ? ['src', 'snk']
      : options.outProcesses === true
        ? ['src', 'mid', 'out', 'snk']
        : ['src', 'mid', 'snk'];
  const ledger = options.ledger === true ? new FrameLedger() : null;
  const newRequester = (pin: Pin) => {
    const r = setPipeSource(pin, allocator, { framesPerTurn: 64, ledger });
    spyReturns(r, (frame) => log.push(`ret:${id(frame)}:${frame.status.toString(16)}`));
    return r;
  };
  h = {
    src,
    mid,
    snk,
    pins,
    log,
    allocator,
    ledger,
    requester: newRequester(src),
    onAllocate: () => {},
    others: [],
    work,
    routines,
    id,
    attached: () => pins.map((p) => p.queue!._section !== null),
    check: () => {},
    snapshot: () => ({
      pins: pins.map((p, i) => {
        const q = p.queue!;
        const frames: unknown[] = [];
        for (let s = q._head; s < q._tail; s++) {
          const f = q._ring[s & q._mask] ?? null;
          if (f === null) continue;
          frames.push([id(f), f.state, f.referenceCount, f.locked, f.cancelled, f.status, f.header.dataUsed]);
        }
        const lead = q.leadingEdge;
        return {
          name: names[i],
          state: p.pipeState,
          length: q.length,
          ahead: q.framesAhead,
          lead: id(lead.frame),
          locked: lead.locked,
          offsets: [lead.offsetIn.count, lead.offsetIn.remaining, lead.offsetOut.count, lead.offsetOut.remaining],
          frames,
        };
      }),
      outstanding: allocator.outstanding,
      requester: [h.requester.outstanding, h.requester.stalls, ...h.others.map((r) => r.outstanding)],
      log: [...log],
    }),
    ejectOutside: (pin: Pin) => {
      const lead = pin.getLeadingEdge(StreamPointerState.locked);
      log.push(`dpc:${id(lead?.frame ?? null)}`);
      if (lead === null) return;
      if (pin.dataFlow === DataFlow.out && lead.frame!.header.dataUsed === 0) lead.frame!.header.dataUsed = 16;
      lead.unlock(true);
    },
  };
  (h as { newRequester?: typeof newRequester }).newRequester = newRequester;
  return h;
}

/** Runs `script` on a pipe built with sections on, then off; returns both snapshots (and whether the section formed). */
function differential(options: PipeOptions, script: (h: Harness) => void) {
  const run = (enabled: boolean) => {
    setCircuitSections(enabled);
    try {
      const h = build(options);
      let formed = false;
      const check = () => {
        if (h.attached().some((a) => a)) formed = true;
      };
      try {
        h.check = check;
        script(h);
      } catch (error) {
        h.log.push(`error:${(error as Error).message}`);
      }
      check();
      const snap = h.snapshot();
      // teardown: every pin stopped, nothing outstanding (each step guarded: a routine may throw as a frame moves)
      const teardown: string[] = [];
      const guard = (what: string, fn: () => void) => {
        try {
          fn();
        } catch (error) {
          teardown.push(`${what}:${(error as Error).message}`);
        }
      };
      for (const p of h.pins) {
        if (!p.isOpen) continue;
        if (p.resetState === KsReset.begin) guard('reset', () => p.setResetState(KsReset.end));
        guard('stop', () => p.setState(KsState.stop));
      }
      guard('work', () => h.work.runAll(1000));
      // (a frame parked as done when a completion callback threw waits for its queue's next operation — generic
      // behaviour, with or without sections: a STOPped pin has none, so the teardown runs one)
      for (const p of h.pins) if (p.isOpen) guard('flush', () => p.queue!.flush());
      const after = h.pins.map((p) => `${p.pipeState}:${p.queue!.length}:${p.queue!._doneTail - p.queue!._doneHead}`);
      return { snap, formed, outstanding: h.allocator.outstanding, teardown, after };
    } finally {
      setCircuitSections(true);
    }
  };
  const on = run(true);
  const off = run(false);
  return { on, off };
}

function assertSame(options: PipeOptions, script: (h: Harness) => void, formed = true): void {
  const { on, off } = differential(options, script);
  assert.equal(on.formed, formed, 'the section formed in the run with sections on');
  assert.equal(off.formed, false);
  assert.deepStrictEqual(on.snap, off.snap);
  assert.deepStrictEqual(on.teardown, off.teardown);
  assert.equal(on.outstanding, 0);
  assert.equal(off.outstanding, 0);
}

/** Both pins to RUN (sink first): the requester fills the source's queue. */
function runAll(h: Harness): void {
  for (const p of [...h.pins].reverse()) p.setState(KsState.run);
}

/** A routine that ejects up to `n` frames (then pends), logging each. */
function ejecting(name: string, budget: { n: number }): Routine {
  return (pin, h) => {
    h.log.push(`run:${name}`);
    while (budget.n > 0) {
      const lead = pin.getLeadingEdge(StreamPointerState.locked);
      if (lead === null) return Status.pending;
      budget.n--;
      h.log.push(`${name}:${h.id(lead.frame)}`);
      if (pin.dataFlow === DataFlow.out && lead.frame!.header.dataUsed === 0) lead.frame!.header.dataUsed = 16;
      lead.unlock(true);
    }
    return Status.pending;
  };
}

export type { Harness, PipeOptions, Routine };
export { assertSame, build, differential, ejecting, runAll };
