import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StateError } from '../../src/errors.js';
import { PinFlags } from '../../src/pin/pin-flags.js';
import { KsState, type KsStateValue } from '../../src/state.js';
import { Status } from '../../src/status.js';
import { makeFilter, pinDescriptor, streamFormat } from './helpers.js';

const ALL: KsStateValue[] = [KsState.stop, KsState.acquire, KsState.pause, KsState.run];

function tracked(flags: number) {
  const steps: Array<[KsStateValue, KsStateValue]> = [];
  let failAt = -1; // fail the n-th step seen from now on (0-based), -1 = never
  const { filter } = makeFilter([
    pinDescriptor({
      flags,
      dispatch: {
        setDeviceState: (_pin, to, from) => {
          steps.push([from, to]);
          if (failAt === 0) {
            failAt = -1;
            return Status.insufficientResources;
          }
          if (failAt > 0) failAt--;
          return Status.success;
        },
      },
    }),
  ]);
  const pin = filter.createPin(0, streamFormat);
  return {
    pin,
    steps,
    failOnStep(n: number) {
      failAt = n;
    },
  };
}

/** The unit steps from → to. */
function unitSteps(from: KsStateValue, to: KsStateValue): Array<[KsStateValue, KsStateValue]> {
  const out: Array<[KsStateValue, KsStateValue]> = [];
  for (let s = from; s !== to; s = (s + (to > s ? 1 : -1)) as KsStateValue) {
    out.push([s, (s + (to > s ? 1 : -1)) as KsStateValue]);
  }
  return out;
}

describe('§9.12 every client jump', () => {
  it('§9.12 standard transport: each of the 16 from→to requests reaches SetDeviceState as single steps', () => {
    for (const from of ALL) {
      for (const to of ALL) {
        const { pin, steps } = tracked(0);
        pin.setState(from);
        steps.length = 0;
        pin.setState(to);
        assert.deepEqual(steps, unitSteps(from, to), `${from}→${to}`);
        assert.deepEqual([pin.pipeState, pin.deviceState, pin.clientState], [to, to, to]);
      }
    }
  });

  it('§9.12 non-standard transport: each from→to request is one raw jump (none when equal)', () => {
    for (const from of ALL) {
      for (const to of ALL) {
        const { pin, steps } = tracked(PinFlags.doNotUseStandardTransport);
        pin.setState(from);
        steps.length = 0;
        pin.setState(to);
        assert.deepEqual(steps, from === to ? [] : [[from, to]], `${from}→${to}`);
        assert.deepEqual([pin.pipeState, pin.deviceState, pin.clientState], [to, to, to]);
      }
    }
  });

  it('§9.12 a step failing anywhere in a walk: StateError with its status, ClientState rolled back, the pin at the last accepted step', () => {
    for (const from of ALL) {
      for (const to of ALL) {
        const walk = unitSteps(from, to);
        for (let k = 0; k < walk.length; k++) {
          const { pin, steps, failOnStep } = tracked(0);
          pin.setState(from);
          steps.length = 0;
          failOnStep(k);
          assert.throws(
            () => pin.setState(to),
            (e: unknown) => e instanceof StateError && e.status === Status.insufficientResources,
            `${from}→${to} failing at step ${k}`,
          );
          const reached = walk[k]![0];
          assert.deepEqual(steps, walk.slice(0, k + 1), 'no step after the failing one');
          assert.equal(pin.clientState, from, 'ClientState rolled back');
          assert.equal(pin.pipeState, reached);
          assert.equal(pin.deviceState, reached);
          // the pin is usable: the same request succeeds now, walking on from where it stopped
          steps.length = 0;
          pin.setState(to);
          assert.deepEqual(steps, unitSteps(reached, to));
        }
      }
    }
  });

  it('§9.12 a failing raw jump (non-standard) leaves every state at the old one', () => {
    const { pin, steps, failOnStep } = tracked(PinFlags.doNotUseStandardTransport);
    pin.setState(KsState.run);
    failOnStep(0);
    assert.throws(() => pin.setState(KsState.stop), StateError);
    assert.deepEqual(steps.at(-1), [KsState.run, KsState.stop]);
    assert.deepEqual([pin.pipeState, pin.deviceState, pin.clientState], [KsState.run, KsState.run, KsState.run]);
  });

  it('§9.12 setting the current state again calls no SetDeviceState', () => {
    const { pin, steps } = tracked(0);
    pin.setState(KsState.pause);
    steps.length = 0;
    pin.setState(KsState.pause);
    assert.deepEqual(steps, []);
  });
});
