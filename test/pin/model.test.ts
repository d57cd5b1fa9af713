import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createDefaultAllocator } from '../../src/allocator/default-allocator.js';
import { connectPins, linkInPlace, type Pin } from '../../src/pin/pin.js';
import { Communication, DataFlow } from '../../src/pin/pin-descriptor.js';
import { PinFlags } from '../../src/pin/pin-flags.js';
import { setPipeSource } from '../../src/processing/wiring.js';
import { KsState, type KsStateValue } from '../../src/state.js';
import { Status } from '../../src/status.js';
import { StreamPointerState } from '../../src/stream/stream-pointer.js';
import { Collector, makeFilter, pinDescriptor, streamFormat } from './helpers.js';

type Mode = 'consume' | 'pend' | 'error' | 'idle';
type Action =
  | { kind: 'state'; to: KsStateValue }
  | { kind: 'arrive' }
  | { kind: 'attempt' }
  | { kind: 'attemptAsync' }
  | { kind: 'runWork' }
  | { kind: 'mode'; mode: Mode }
  | { kind: 'gate'; open: boolean };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('state' as const), to: fc.constantFrom<KsStateValue>(0, 1, 2, 3) }),
  fc.constant({ kind: 'arrive' as const }),
  fc.constant({ kind: 'arrive' as const }),
  fc.constant({ kind: 'attempt' as const }),
  fc.constant({ kind: 'attemptAsync' as const }),
  fc.constant({ kind: 'runWork' as const }),
  fc.record({ kind: fc.constant('mode' as const), mode: fc.constantFrom<Mode>('consume', 'pend', 'error', 'idle') }),
  fc.record({ kind: fc.constant('gate' as const), open: fc.boolean() }),
);

const flagSets = [
  0,
  PinFlags.doNotInitiateProcessing,
  PinFlags.initiateProcessingOnEveryArrival,
  PinFlags.processInRunStateOnly,
  PinFlags.initiateProcessingOnEveryArrival | PinFlags.processInRunStateOnly,
];

describe('pin-centric processing against a plain model (fast-check)', () => {
  it('processes only when allowed, when a trigger requires it, drains on SUCCESS, and never loses or double-completes a frame', () => {
    fc.assert(
      fc.property(fc.constantFrom(...flagSets), fc.array(action, { maxLength: 60 }), (flags, actions) => {
        const frames = new Collector();
        let mode: Mode = 'consume';
        let depth = 0;
        let calls = 0;
        // The model.
        let state: KsStateValue = KsState.stop;
        let gateOpen = true;
        const min = (flags & PinFlags.processInRunStateOnly) !== 0 ? KsState.run : KsState.pause;
        const initiates = (flags & PinFlags.doNotInitiateProcessing) === 0;
        const everyArrival = (flags & PinFlags.initiateProcessingOnEveryArrival) !== 0;
        const allowed = () => state >= min && gateOpen;
        const queued = () => frames.made - frames.returned.length;

        const { filter, work } = makeFilter([
          pinDescriptor({
            flags,
            dispatch: {
              process: (pin) => {
                assert.equal(depth, 0, 'never re-entered');
                assert.ok(allowed(), `processing at state ${pin.deviceState} gate ${gateOpen}`);
                calls++;
                depth++;
                try {
                  if (mode === 'pend') return Status.pending;
                  if (mode === 'error') return Status.unsuccessful;
                  if (mode === 'idle') return Status.success;
                  const lead = pin.getLeadingEdge(StreamPointerState.locked);
                  if (lead === null) return Status.pending;
                  lead.unlock(true);
                  return Status.success;
                } finally {
                  depth--;
                }
              },
            },
          }),
        ]);
        const pin = filter.createPin(0, streamFormat);

        for (const a of actions) {
          const before = calls;
          let mustRun = false;
          switch (a.kind) {
            case 'state': {
              const from = state;
              // The pin walks one step at a time; every step into `min` from below with frames is trigger (1).
              state = a.to; // processing may run during the walk, only on steps at/above min (upward walks)
              pin.setState(a.to);
              mustRun = initiates && gateOpen && from < min && a.to >= min && queued() > 0;
              break;
            }
            case 'arrive': {
              const wasEmpty = queued() === 0;
              if (state === KsState.stop) break; // frames only circulate above STOP
              frames.feed(pin, 1);
              mustRun = initiates && allowed() && (wasEmpty || everyArrival);
              break;
            }
            case 'attempt':
              pin.attemptProcessing();
              mustRun = allowed();
              break;
            case 'attemptAsync':
              pin.attemptProcessing({ async: true });
              assert.equal(calls, before, 'async never inline');
              break;
            case 'runWork':
              work.runAll();
              break;
            case 'mode':
              mode = a.mode;
              break;
            case 'gate':
              if (a.open !== gateOpen) {
                gateOpen = a.open;
                if (a.open) pin.andGate.turnInputOn();
                else pin.andGate.turnInputOff();
              }
              break;
          }
          if (mustRun) assert.ok(calls > before, `${a.kind}: a trigger that must process did not`);
          if (calls > before && mode === 'consume' && allowed()) {
            assert.equal(queued(), 0, 'SUCCESS keeps processing while frames remain');
          }
          if (state === KsState.stop) assert.equal(queued(), 0, 'STOP returns every frame');
        }
        if (!gateOpen) pin.andGate.turnInputOn();
        pin.setState(KsState.stop);
        work.runAll();
        assert.equal(queued(), 0, 'every frame back after STOP');
        assert.equal(new Set(frames.returned).size, frames.returned.length, 'no frame completed twice');
        for (const s of frames.statuses) assert.ok(s === Status.success || s === Status.cancelled);
      }),
      { numRuns: 300 },
    );
  });
});

describe('a source → in-place transform → sink circuit against a plain model (fast-check)', () => {
  type Stage = 0 | 1 | 2;
  type PAction =
    | { kind: 'state'; stage: Stage; to: KsStateValue }
    | { kind: 'mode'; stage: Stage; consume: boolean }
    | { kind: 'attempt'; stage: Stage }
    | { kind: 'budget'; n: number };
  const stage = fc.constantFrom<Stage>(0, 1, 2);
  const pAction: fc.Arbitrary<PAction> = fc.oneof(
    fc.record({ kind: fc.constant('state' as const), stage, to: fc.constantFrom<KsStateValue>(0, 1, 2, 3) }),
    fc.record({ kind: fc.constant('mode' as const), stage, consume: fc.boolean() }),
    fc.record({ kind: fc.constant('attempt' as const), stage }),
    fc.record({ kind: fc.constant('budget' as const), n: fc.integer({ min: 0, max: 12 }) }),
  );

  it('frames are never lost or freed twice, processing happens only at/above PAUSE, and every frame is back after STOP', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(pAction, { maxLength: 50 }), (poolFrames, actions) => {
        const consume = [true, true, true];
        let budget = 0;
        const processed = [0, 0, 0];
        const body = (k: Stage) => (pin: Pin) => {
          assert.ok(pin.pipeState >= KsState.pause, `stage ${k} processing in pipe state ${pin.pipeState}`);
          if (!consume[k] || (k === 0 && budget === 0)) return Status.pending;
          const lead = pin.getLeadingEdge(StreamPointerState.locked);
          if (lead === null) return Status.pending;
          if (k === 0) {
            budget--;
            lead.frame!.header.dataUsed = 8;
          }
          processed[k]!++;
          lead.unlock(true);
          return Status.success;
        };
        const src = makeFilter([
          pinDescriptor({
            dataFlow: DataFlow.out,
            communication: Communication.source,
            dispatch: { process: body(0) },
          }),
        ]).filter.createPin(0, streamFormat);
        const tf = makeFilter([
          pinDescriptor({ dispatch: { process: body(1) } }),
          pinDescriptor({ dataFlow: DataFlow.out, communication: Communication.source }),
        ]).filter;
        const tin = tf.createPin(0, streamFormat);
        const tout = tf.createPin(1, streamFormat);
        const snk = makeFilter([pinDescriptor({ dispatch: { process: body(2) } })]).filter.createPin(0, streamFormat);
        connectPins(src, tin);
        linkInPlace(tin, tout);
        connectPins(tout, snk);
        const allocator = createDefaultAllocator();
        allocator.initialize(null, {
          optionsFlags: 0,
          poolType: 0,
          frames: poolFrames,
          frameSize: 32,
          fileAlignment: 3,
          reserved: 0,
        });
        const requester = setPipeSource(src, allocator);
        const stages = [src, tin, snk];
        for (const a of actions) {
          if (a.kind === 'state') {
            stages[a.stage]!.setState(a.to);
            if (a.stage === 1) tout.setState(a.to);
          } else if (a.kind === 'mode') consume[a.stage] = a.consume;
          else if (a.kind === 'attempt') stages[a.stage]!.attemptProcessing();
          else budget += a.n;
          assert.ok(allocator.outstanding <= poolFrames, 'never more than Frames outstanding');
          assert.equal(allocator.outstanding, requester.outstanding);
          assert.ok(
            processed[1]! <= processed[0]! && processed[2]! <= processed[1]!,
            'frames pass the stages in order',
          );
          if (stages.every((p) => p.pipeState === KsState.stop)) assert.equal(allocator.outstanding, 0);
        }
        for (const p of [src, tin, tout, snk]) p.setState(KsState.stop);
        assert.equal(allocator.outstanding, 0, 'every frame back on the allocator after STOP');
        requester.detach();
        allocator.delete();
      }),
      { numRuns: 200 },
    );
  });
});

describe('filter-centric processing against a plain model (fast-check)', () => {
  type FAction =
    | { kind: 'state'; pin: 0 | 1; to: KsStateValue }
    | { kind: 'arrive'; pin: 0 | 1 }
    | { kind: 'attempt' }
    | { kind: 'mode'; consume: boolean };
  const which = fc.constantFrom<0 | 1>(0, 1);
  const fAction: fc.Arbitrary<FAction> = fc.oneof(
    fc.record({ kind: fc.constant('state' as const), pin: which, to: fc.constantFrom<KsStateValue>(0, 1, 2, 3) }),
    fc.record({ kind: fc.constant('arrive' as const), pin: which }),
    fc.record({ kind: fc.constant('arrive' as const), pin: which }),
    fc.record({ kind: fc.constant('attempt' as const) }),
    fc.record({ kind: fc.constant('mode' as const), consume: fc.boolean() }),
  );
  const secondFlags = [0, PinFlags.framesNotRequiredForProcessing, PinFlags.processInRunStateOnly];

  it('the filter processes only when every active frame-requiring pin has a frame and every active pin is at its minimum state', () => {
    fc.assert(
      fc.property(fc.constantFrom(...secondFlags), fc.array(fAction, { maxLength: 50 }), (flags1, actions) => {
        const frames = new Collector();
        let consume = true;
        let depth = 0;
        let calls = 0;
        const state: KsStateValue[] = [0, 0];
        const queued = [0, 0];
        const min: KsStateValue[] = [KsState.pause, (flags1 & PinFlags.processInRunStateOnly) !== 0 ? 3 : 2];
        const requiresFrames = [true, (flags1 & PinFlags.framesNotRequiredForProcessing) === 0];
        const conditions = () => {
          let active = 0;
          for (const i of [0, 1]) {
            if (state[i] === KsState.stop) continue;
            if (state[i]! < min[i]!) return false;
            if (requiresFrames[i] && queued[i] === 0) return false;
            active++;
          }
          return active > 0;
        };
        const { filter } = makeFilter([pinDescriptor(), pinDescriptor({ flags: flags1 })], {
          process: (_f, index) => {
            assert.equal(depth, 0, 'never re-entered');
            assert.ok(conditions(), `processing with states ${state} and queues ${queued}`);
            calls++;
            depth++;
            if (consume) {
              for (const [i, e] of index.entries()) {
                const pp = e.pins[0]!;
                if (pp.data === null) continue;
                pp.bytesUsed = pp.bytesAvailable;
                queued[i]!--;
              }
            }
            depth--;
            return consume ? Status.success : Status.pending;
          },
        });
        const pins = [filter.createPin(0, streamFormat), filter.createPin(1, streamFormat)];
        for (const a of actions) {
          const before = calls;
          let mustRun = false;
          if (a.kind === 'state') {
            const rising = a.to > state[a.pin]!;
            // Processing may run during an upward walk (rising steps are triggers), never during a downward one.
            if (rising) state[a.pin] = a.to;
            pins[a.pin]!.setState(a.to);
            state[a.pin] = a.to;
            if (a.to === KsState.stop) queued[a.pin] = 0;
            mustRun = rising && conditions();
          } else if (a.kind === 'arrive') {
            if (state[a.pin] === KsState.stop) continue;
            const wasEmpty = queued[a.pin] === 0;
            queued[a.pin]!++;
            frames.feed(pins[a.pin]!, 1);
            mustRun = wasEmpty && conditions();
          } else if (a.kind === 'attempt') {
            filter.attemptProcessing();
            mustRun = conditions();
          } else {
            consume = a.consume;
          }
          if (mustRun) assert.ok(calls > before, `${a.kind}: conditions held but the filter did not process`);
          assert.equal(frames.outstanding, queued[0]! + queued[1]!, 'queued frames match the model');
        }
        for (const [i, p] of pins.entries()) {
          state[i] = KsState.stop;
          p.setState(KsState.stop);
          queued[i] = 0;
        }
        assert.equal(frames.outstanding, 0, 'every frame back after STOP');
        assert.equal(new Set(frames.returned).size, frames.returned.length, 'no frame completed twice');
      }),
      { numRuns: 300 },
    );
  });
});
