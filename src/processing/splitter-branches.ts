import { argumentError, StateError } from '../errors.js';
import type { Pin } from '../pin/pin.js';
import { DataFlow } from '../pin/pin-descriptor.js';
import { PinFlags } from '../pin/pin-flags.js';
import { SplitterFanOut, type SplitterFanOutOptions } from '../pin/splitter-fan-out.js';
import { KsState, ksStateName } from '../state.js';
import { Status } from '../status.js';

const fanOuts = new WeakMap<Pin, SplitterFanOut>();
/** Delegate branch → its delegate (while set). */
const delegates = new WeakMap<Pin, Pin>();

function assertStopped(pin: Pin, name: string): void {
  if (pin.pipeState !== KsState.stop) {
    throw new StateError(
      `${name}: setDelegateBranches with pin ${pin.id} in ${ksStateName(pin.pipeState)} is not allowed; expected STOP`,
      Status.invalidDeviceState,
    );
  }
}

/**
 * Makes `branches` (further instances of a KSPIN_FLAG_SPLITTER output pin type) **delegate branches** of `delegate`
 * (the instance the driver fills): they share its pipe — each gets a view of every frame the delegate sends on (the
 * same bytes and header metadata, no copy), and the frame returns to the delegate's requester only when every
 * branch completed its view (KSPROCESSPIN.DelegateBranch, spec §7). Their process pins get `delegateBranch` =
 * the delegate's and `copySource` null, and they no longer gate filter-centric processing on frames of their own.
 * Every other instance of the pin type stays a copy branch (`copySource`: own pipe, filled by copy after each
 * Process call). The delegate is listed first in its process-pin index entry. Used by the graph manager at
 * STOP→ACQUIRE, after the pipes' in-place pairs are linked (the fan-out hooks where the delegate's frames complete
 * then: the delegate, or its in-place input when the delegate does not process frames itself; a later
 * `linkInPlace` does not move it); replaces an earlier call for the same pin type. If the delegate is closed, its
 * delegate branches become copy branches in the filter's index.
 *
 * Consumers of a shared pipe must only read the frames: a write is a driver bug that corrupts every other branch
 * (`options.verify` detects it: docs/graph.md "Splitters").
 * @throws TypeError when `delegate` is not a SPLITTER output pin or a branch is not another instance of its type;
 *   StateError `invalidDeviceState` when a pin is not in STOP
 */
export function setDelegateBranches(
  delegate: Pin,
  branches: readonly Pin[],
  options?: SplitterFanOutOptions,
): SplitterFanOut {
  if (
    delegate === null ||
    typeof delegate !== 'object' ||
    delegate.dataFlow !== DataFlow.out ||
    (delegate.flags & PinFlags.splitter) === 0
  ) {
    throw argumentError('type', 'delegate', delegate, 'an output pin instance with KSPIN_FLAG_SPLITTER');
  }
  assertStopped(delegate, 'delegate');
  const fanOut = new SplitterFanOut(delegate, branches, options); // checks the branches
  for (const b of fanOut.branches) assertStopped(b, 'branches');
  for (const p of delegate.filter.pins(delegate.id)) clearDelegateBranches(p);
  fanOut.routePin.queue?._section?._detach(); // (frames completing there fan out: no circuit section)
  fanOut.routePin._fanOut = fanOut;
  fanOuts.set(delegate, fanOut);
  for (const b of fanOut.branches) delegates.set(b, delegate);
  delegate.filter._setSplitterRoles(delegate.id, delegate, fanOut.branches);
  return fanOut;
}

/** The fan-out set on `delegate` by {@link setDelegateBranches}, or null. */
export function delegateBranchesOf(delegate: Pin): SplitterFanOut | null {
  return fanOuts.get(delegate) ?? null;
}

/** The delegate whose frames `branch` shares (set by {@link setDelegateBranches}), or null. */
export function delegateOf(branch: Pin): Pin | null {
  return delegates.get(branch) ?? null;
}

/**
 * Undoes {@link setDelegateBranches}: new frames of `delegate` go on alone, every further instance is a copy
 * branch again (the first instance is the delegate). Views still out come back as before (each frame still
 * returns exactly once). Normally called in STOP (the graph does at →STOP).
 */
export function clearDelegateBranches(delegate: Pin): void {
  const fanOut = fanOuts.get(delegate);
  if (fanOut === undefined) return;
  fanOuts.delete(delegate);
  for (const b of fanOut.branches) if (delegates.get(b) === delegate) delegates.delete(b);
  if (fanOut.routePin._fanOut === fanOut) fanOut.routePin._fanOut = null;
  if (!delegate.filter.isOpen) return;
  delegate.filter._setSplitterRoles(delegate.id, null, []);
}
