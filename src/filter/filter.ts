import { argumentError, StateError } from '../errors.js';
import { type KsDataFormat, validateDataFormat } from '../pin/data-format.js';
import { Gate } from '../pin/gate.js';
import { type AttemptProcessingOptions, checkAttemptOptions, Pin } from '../pin/pin.js';
import { DataFlow, INSTANCES_UNLIMITED } from '../pin/pin-descriptor.js';
import { PinFlags } from '../pin/pin-flags.js';
import type { WorkScheduler } from '../processing/scheduler.js';
import { KsState, type KsStateValue, ksStateName } from '../state.js';
import { Status, type StatusCode, statusName } from '../status.js';
import type { Scheduler } from '../stream/scheduler.js';
import { StreamPointerState } from '../stream/stream-pointer.js';
import type { FilterDescriptor, FilterDispatch } from './filter-descriptor.js';
import type { FilterFactory } from './filter-factory.js';
import { ProcessPin, type ProcessPinIndexEntry } from './process-pin.js';

interface MutableIndexEntry {
  pins: ProcessPin[];
  count: number;
}

const INPUT_NONE = 0;
const INPUT_OFF = 1;
const INPUT_ON = 2;

/**
 * KSFILTER: a filter instance made by a {@link FilterFactory}. It owns its pin instances (per pin id, in creation
 * order), its AND gate and, when its dispatch has a Process routine, filter-centric processing.
 *
 * Filter-centric conditions (spec §3.5): the filter's AND gate is open — every frame-requiring pin instance above
 * STOP contributes an input to it (or to the gate attached to the pin, or to the implicit OR gate of a
 * SOME_FRAMES_REQUIRED pin type) that is on while the pin has a frame at or ahead of its leading edge; every pin
 * type has at least InstancesNecessary instances at or above their minimum processing state; no instance is
 * between STOP and its minimum state (instances in STOP are ignored); with PROCESS_IF_ANY_IN_RUN_STATE pins, one
 * of them is in RUN; and at least one instance is at or above its minimum state.
 */
export class Filter {
  /** The factory that made this filter. */
  readonly factory: FilterFactory;
  /** The filter descriptor. */
  readonly descriptor: FilterDescriptor;
  /** True when the dispatch has a Process routine (pins' own process routines are ignored). */
  readonly filterCentric: boolean;
  /** The descriptor's KSFILTER_FLAG_* bits. */
  readonly flags: number;
  /** The filter's AND gate. */
  readonly andGate: Gate = Gate.and();
  /** Context: the driver's to use; new pins start with it. */
  context: unknown = null;
  /** @internal where asynchronous processing runs */
  readonly _scheduler: WorkScheduler;
  /** @internal the clock and timers of the pins' queues (stream-pointer timeouts) */
  readonly _timers: Scheduler | undefined;

  private readonly _pins: Pin[][];
  private readonly _index: MutableIndexEntry[];
  private readonly _processPins = new Map<Pin, ProcessPin>();
  private readonly _implicitOr: Array<Gate | null>;
  private readonly _implicitOrUsers: number[];
  private readonly _dispatch: FilterDispatch | null;
  private _inPlaceOutputs = 0;
  private _splitterBranches = 0;
  /** Per pin type: the splitter instance the driver fills, chosen by setDelegateBranches (null = the first one). */
  private readonly _splitterDelegate: Array<Pin | null>;
  /** Splitter instances sharing their delegate's frames (DelegateBranch): they need no frame of their own. */
  private readonly _sharedBranches = new Set<Pin>();
  private _processing = false;
  private _rerun = false;
  private _asyncQueued = false;
  private readonly _runAsync: () => void;
  private _closed = false;

  /** @internal use `factory.createFilter()`. */
  constructor(factory: FilterFactory, descriptor: FilterDescriptor, scheduler: WorkScheduler, timers?: Scheduler) {
    this.factory = factory;
    this.descriptor = descriptor;
    this._dispatch = descriptor.dispatch ?? null;
    this.filterCentric = typeof this._dispatch?.process === 'function';
    this.flags = (descriptor.flags ?? 0) >>> 0;
    this._scheduler = scheduler;
    this._timers = timers;
    const n = descriptor.pinDescriptors.length;
    this._pins = Array.from({ length: n }, () => []);
    this._index = Array.from({ length: n }, () => ({ pins: [], count: 0 }));
    this._implicitOr = new Array<Gate | null>(n).fill(null);
    this._implicitOrUsers = new Array<number>(n).fill(0);
    this._splitterDelegate = new Array<Pin | null>(n).fill(null);
    this._runAsync = () => {
      this._asyncQueued = false;
      this._attempt();
    };
  }

  /** The filter's dispatch table, or null. */
  get dispatch(): FilterDispatch | null {
    return this._dispatch;
  }

  /** The number of pin types (pin descriptors). */
  get pinTypeCount(): number {
    return this._pins.length;
  }

  /** The instances of pin type `id`, in creation order. */
  pins(id: number): readonly Pin[] {
    return this.pinList(id);
  }

  /** KsFilterGetChildPinCount: how many instances pin type `id` has. */
  pinCount(id: number): number {
    return this.pinList(id).length;
  }

  /** The process-pin index (KSPROCESSPIN_INDEXENTRY per pin id), as a filter-centric Process routine sees it. */
  get processPinIndex(): readonly ProcessPinIndexEntry[] {
    return this._index;
  }

  private pinList(id: number): Pin[] {
    const list = Number.isInteger(id) ? this._pins[id] : undefined;
    if (!list) throw argumentError('range', 'id', id, `a pin id 0–${this._pins.length - 1}`);
    return list;
  }

  /**
   * KsCreatePin: creates an instance of pin type `id` with `format` (checked by the SetDataFormat walk with a null
   * old format before Create), then calls the pin's Create dispatch.
   * @throws StateError `invalidDeviceRequest` when InstancesPossible instances exist already (or the pin type is
   *   not connectable); the format / Create failure status otherwise
   */
  createPin(id: number, format: KsDataFormat): Pin {
    this.assertOpen();
    const list = this.pinList(id);
    validateDataFormat(format);
    const pd = this.descriptor.pinDescriptors[id]!;
    if (pd.instancesPossible !== INSTANCES_UNLIMITED && list.length >= pd.instancesPossible) {
      throw new StateError(
        `pin ${id}: instance ${list.length + 1} is not allowed; expected at most instancesPossible (${pd.instancesPossible})`,
        Status.invalidDeviceRequest,
      );
    }
    const pin = new Pin(this, id, pd);
    pin._applyFormat(format, null);
    list.push(pin);
    const create = pin.dispatch?.create;
    if (create) {
      let status: StatusCode;
      try {
        status = (create(pin) as StatusCode | undefined) ?? Status.success;
      } catch (error) {
        list.pop();
        throw error;
      }
      if (status !== Status.success) {
        list.pop();
        throw new StateError(
          `pin ${id}: create status ${statusName(status)} is not allowed; expected success${status === Status.pending ? ' (pending creation is not supported)' : ''}`,
          status === Status.pending ? Status.notSupported : status,
        );
      }
    }
    const pp = new ProcessPin(pin);
    this._processPins.set(pin, pp);
    this.rebuildIndex(id);
    return pin;
  }

  /** @internal called by `pin.close()`. */
  _removePin(pin: Pin): void {
    const list = this._pins[pin.id]!;
    const i = list.indexOf(pin);
    if (i >= 0) list.splice(i, 1);
    this._sharedBranches.delete(pin);
    this.setFrameInput(pin, INPUT_NONE);
    this._processPins.delete(pin);
    if (this._splitterDelegate[pin.id] === pin) {
      // The delegate closed: its delegate branches have no frames to share any more. They become copy branches (each
      // needs a frame of its own to let the filter process), so the driver is never handed a delegate without a frame.
      this._splitterDelegate[pin.id] = null;
      for (const p of list) this._sharedBranches.delete(p);
      this.rebuildIndex(pin.id);
      for (const p of list) this.updateFrameInput(p);
      return;
    }
    this.rebuildIndex(pin.id);
  }

  private rebuildIndex(id: number): void {
    const entry = this._index[id]!;
    const pins = this._pins[id]!.map((p) => this._processPins.get(p)!);
    // Automatic splitter (KSPIN_FLAG_SPLITTER on an output pin type): the driver fills the delegate (the first
    // instance, or the one setDelegateBranches chose: listed first); every other instance is a branch — a delegate
    // branch sharing the delegate's frames (DelegateBranch, no copy) or a copy branch (CopySource).
    const pd = this.descriptor.pinDescriptors[id]!;
    const splitter = ((pd.flags ?? 0) & PinFlags.splitter) !== 0 && pd.dataFlow === DataFlow.out;
    let first = pins[0] ?? null;
    const chosen = splitter ? this._splitterDelegate[id]! : null;
    const chosenPp = chosen !== null ? this._processPins.get(chosen) : undefined;
    if (chosenPp !== undefined && chosenPp !== first) {
      pins.splice(pins.indexOf(chosenPp), 1);
      pins.unshift(chosenPp);
      first = chosenPp;
    }
    entry.pins = pins;
    entry.count = pins.length;
    for (const pp of pins) {
      const branch = splitter && pp !== first;
      const shared = branch && this._sharedBranches.has(pp.pin);
      pp.delegateBranch = shared ? first : null;
      pp.copySource = branch && !shared ? first : null;
    }
    let branches = 0;
    for (const e of this._index) for (const pp of e.pins) if (pp.copySource !== null) branches++;
    this._splitterBranches = branches;
    let inPlaceOutputs = 0;
    for (const pp of this._processPins.values()) {
      const other = pp.pin.inPlaceCounterpart;
      pp.inPlaceCounterpart = other ? (this._processPins.get(other) ?? null) : null;
      if (pp.inPlaceCounterpart !== null && pp.pin.dataFlow === DataFlow.out) inPlaceOutputs++;
    }
    this._inPlaceOutputs = inPlaceOutputs;
  }

  /**
   * @internal setDelegateBranches / clearDelegateBranches: `delegate` (null = the first instance) is the splitter
   * instance of pin type `id` the driver fills; `shared` are the instances sharing its frames (no frames of their own
   * needed for processing); the other instances are copy branches.
   */
  _setSplitterRoles(id: number, delegate: Pin | null, shared: readonly Pin[]): void {
    const list = this.pinList(id);
    for (const p of list) this._sharedBranches.delete(p);
    for (const p of shared) this._sharedBranches.add(p);
    this._splitterDelegate[id] = delegate;
    this.rebuildIndex(id);
    for (const p of list) this.updateFrameInput(p);
  }

  /**
   * @internal `linkInPlace` paired two of this filter's pins (and unlinked their previous partners): refresh the process
   * pins' counterparts and every pin's frame input (rare: at pipe creation).
   */
  _onInPlaceLink(input: Pin, output: Pin): void {
    this.rebuildIndex(input.id);
    this.rebuildIndex(output.id);
    for (const list of this._pins) for (const p of list) this.updateFrameInput(p);
  }

  /** @internal the process pin of an instance. */
  _processPinOf(pin: Pin): ProcessPin | undefined {
    return this._processPins.get(pin);
  }

  /**
   * @internal leaving STOP needs InstancesNecessary instances of every pin type.
   * @throws StateError `invalidDeviceState`
   */
  _checkInstancesNecessary(pin: Pin, to: KsStateValue): void {
    this.pinTypesLacking((id, have, need) => {
      throw new StateError(
        `pin ${pin.id}: rising to ${ksStateName(to)} with ${have} instance(s) of pin type ${id} is not allowed; expected at least instancesNecessary (${need})`,
        Status.invalidDeviceState,
      );
    });
  }

  private pinTypesLacking(report: (id: number, have: number, need: number) => void): void {
    const pds = this.descriptor.pinDescriptors;
    for (let id = 0; id < pds.length; id++) {
      const need = pds[id]!.instancesNecessary;
      const have = this._pins[id]!.length;
      if (have < need) report(id, have, need);
    }
  }

  // ---------------------------------------------------------------- filter-centric processing

  /**
   * KsFilterAttemptProcessing: filter-centric processing runs if its conditions hold. `{ async: true }` always
   * schedules (never inline); otherwise inline, or right after the running Process call returns.
   */
  attemptProcessing(options?: AttemptProcessingOptions): void {
    if (options !== undefined) checkAttemptOptions(options);
    if (!this.filterCentric) {
      for (const list of this._pins) for (const p of list) p.attemptProcessing(options);
      return;
    }
    if (options?.async === true) {
      if (!this._asyncQueued) {
        this._asyncQueued = true;
        this._scheduler(this._runAsync);
      }
      return;
    }
    this._attempt();
  }

  /** True when the filter-centric conditions hold (see the class comment). */
  get canProcess(): boolean {
    return this.filterCentric && !this._closed && this.conditionsHold();
  }

  /** True while the filter's Process routine runs. */
  get isProcessing(): boolean {
    return this._processing;
  }

  private conditionsHold(): boolean {
    if (this.andGate.count <= 0) return false;
    const pds = this.descriptor.pinDescriptors;
    let active = 0;
    let anyRunFlagged = false;
    let anyRunFlaggedInRun = false;
    for (let id = 0; id < pds.length; id++) {
      const list = this._pins[id]!;
      let atMin = 0;
      for (let i = 0; i < list.length; i++) {
        const p = list[i]!;
        const s = p.pipeState;
        if (s === KsState.stop) continue;
        if (s < p.minimumProcessingState) return false;
        atMin++;
        if ((p.flags & PinFlags.processIfAnyInRunState) !== 0) {
          anyRunFlagged = true;
          if (s === KsState.run) anyRunFlaggedInRun = true;
        }
      }
      if (atMin < pds[id]!.instancesNecessary) return false;
      active += atMin;
    }
    if (anyRunFlagged && !anyRunFlaggedInRun) return false;
    return active > 0;
  }

  /** @internal */
  _attempt(): void {
    if (this._closed) return;
    if (this._processing) {
      this._rerun = true;
      return;
    }
    if (this.conditionsHold()) this.runProcess();
  }

  private runProcess(): void {
    const process = this._dispatch!.process!;
    const index = this._index;
    this._processing = true;
    try {
      for (;;) {
        this._rerun = false;
        this.preparePins();
        let status: StatusCode;
        try {
          status = process(this, index);
        } catch (error) {
          this.abandonPins();
          throw error;
        }
        const moved = this.finishPins();
        if (!this.conditionsHold()) break;
        if (status === Status.success && moved) continue;
        if (this._rerun) continue;
        break;
      }
    } finally {
      this._processing = false;
    }
  }

  private preparePins(): void {
    const index = this._index;
    for (let e = 0; e < index.length; e++) {
      const pins = index[e]!.pins;
      for (let i = 0; i < pins.length; i++) this.preparePin(pins[i]!);
    }
    if (this._inPlaceOutputs === 0) return;
    for (let e = 0; e < index.length; e++) {
      const pins = index[e]!.pins;
      for (let i = 0; i < pins.length; i++) this.mirrorInPlace(pins[i]!);
    }
  }

  /** Locks the pin's leading edge and shows the unused bytes of its frame (nothing for an in-place output pin). */
  private preparePin(pp: ProcessPin): void {
    const queue = pp.pin.queue;
    const shared = pp.inPlaceCounterpart !== null && pp.pin.dataFlow === DataFlow.out;
    const lead =
      queue !== null && !shared && pp.pin.pipeState !== KsState.stop
        ? queue.getLeadingEdge(StreamPointerState.locked)
        : null;
    pp.bytesUsed = 0;
    pp.terminate = false;
    if (lead === null) {
      pp.streamPointer = null;
      pp._frame = null;
      pp.data = null;
      pp.bytesAvailable = 0;
      pp.flags = 0;
      return;
    }
    const offset = lead.offset;
    const data = offset.data!;
    const position = offset.position;
    const remaining = offset.remaining;
    pp.streamPointer = lead;
    pp._frame = lead.frame;
    pp.data = position === 0 && remaining === data.byteLength ? data : data.subarray(position, position + remaining);
    pp.bytesAvailable = remaining;
    pp.flags = lead.frame!.header.optionsFlags;
  }

  /** An in-place output pin sees its input's frame (the same bytes); only the input's edge moves. */
  private mirrorInPlace(pp: ProcessPin): void {
    const other = pp.inPlaceCounterpart;
    if (other === null || pp.pin.dataFlow !== DataFlow.out) return;
    pp.streamPointer = null;
    pp._frame = null;
    pp.data = other.data;
    pp.bytesAvailable = other.bytesAvailable;
    pp.flags = other.flags;
  }

  /**
   * After a Process call: advances every process pin's leading edge by its bytesUsed (an output pin's DataUsed
   * grows by it); a frame used up, or with `terminate`, leaves. Returns true when any edge moved.
   */
  private finishPins(): boolean {
    const index = this._index;
    let moved = false;
    if (this._splitterBranches !== 0) this.copyToBranches();
    for (let e = 0; e < index.length; e++) {
      const pins = index[e]!.pins;
      for (let i = 0; i < pins.length; i++) if (this.finishPin(pins[i]!)) moved = true;
    }
    for (let id = 0; id < this._pins.length; id++) {
      const list = this._pins[id]!;
      for (let i = 0; i < list.length; i++) this.updateFrameInput(list[i]!);
    }
    return moved;
  }

  /**
   * Automatic splitter branches: each branch gets a copy of the bytes the driver produced on its CopySource (as many
   * as fit), the source frame's metadata, and the same terminate; it is then advanced like any output pin.
   */
  private copyToBranches(): void {
    for (const pp of this._processPins.values()) {
      const source = pp.copySource;
      if (source === null || pp.data === null || pp._frame === null) continue;
      const produced = Math.min(Math.max(0, Math.floor(source.bytesUsed) || 0), source.bytesAvailable);
      const n = Math.min(produced, pp.bytesAvailable);
      if (n > 0 && source.data !== null) pp.data.set(source.data.subarray(0, n));
      if (source._frame !== null) pp._frame.header.copyMetadataFrom(source._frame.header);
      pp.bytesUsed = n;
      pp.terminate = source.terminate;
    }
  }

  /** After a throwing Process call: unlocks the edges without moving them. */
  private abandonPins(): void {
    for (const pp of this._processPins.values()) {
      const lead = pp.streamPointer;
      pp.streamPointer = null;
      pp._frame = null;
      pp.data = null;
      if (lead?.locked && !lead.deleted) lead.unlock(false);
    }
  }

  /** Advances one process pin's edge by its bytesUsed and unlocks it; true when the edge moved. */
  private finishPin(pp: ProcessPin): boolean {
    const lead = pp.streamPointer;
    const frame = pp._frame;
    pp.streamPointer = null;
    pp._frame = null;
    pp.data = null;
    // The driver may have moved or unlocked the edge itself: then it is in charge of that frame.
    if (lead === null || frame === null || !lead.locked || lead.frame !== frame) return false;
    const remaining = lead.offset.remaining;
    const used = Math.min(Math.max(0, Math.floor(pp.bytesUsed) || 0), remaining);
    const input = pp.pin.dataFlow === DataFlow.in;
    if (!input) frame.header.dataUsed = lead.offset.position + used;
    const eject = pp.terminate || used === remaining;
    if (used > 0 || eject) {
      lead.advanceOffsetsAndUnlock(input ? used : 0, input ? 0 : used, eject);
      return true;
    }
    lead.unlock(false);
    return false;
  }

  /**
   * KsProcessPinUpdate, from inside a filter-centric Process call: applies `pp.bytesUsed` / `pp.terminate` now
   * (as after the call), then shows the pin's next unused bytes (resetting bytesUsed and terminate). Returns true
   * when the pin has data to work on and its conditions still hold — false in STOP or with no frame.
   */
  processPinUpdate(pp: ProcessPin): boolean {
    if (!(pp instanceof ProcessPin) || this._processPins.get(pp.pin) !== pp) {
      throw argumentError('type', 'processPin', pp, "a ProcessPin of this filter's index");
    }
    const counterpart = pp.inPlaceCounterpart;
    const holder = counterpart !== null && pp.pin.dataFlow === DataFlow.out ? counterpart : pp;
    if (holder !== pp) holder.bytesUsed = Math.max(holder.bytesUsed, pp.bytesUsed);
    this.finishPin(holder);
    this.preparePin(holder);
    if (holder !== pp) this.mirrorInPlace(pp);
    else if (counterpart !== null) this.mirrorInPlace(counterpart);
    this.updateFrameInputs(pp.pin);
    return pp.pin.pipeState >= pp.pin.minimumProcessingState && pp.data !== null;
  }

  /** @internal a pin of this (filter-centric) filter got a frame. */
  _onPinArrival(pin: Pin, wasEmpty: boolean): void {
    this.updateFrameInputs(pin);
    const flags = pin.flags;
    if ((flags & PinFlags.doNotInitiateProcessing) !== 0) return;
    if (!wasEmpty && (flags & PinFlags.initiateProcessingOnEveryArrival) === 0) return;
    this._attempt();
  }

  /**
   * @internal a pin of this filter took a state step; a rising step is a processing trigger — except for a
   * DO_NOT_INITIATE_PROCESSING pin ("AVStream calls the processing dispatch only when the minidriver explicitly calls
   * KsXxxAttemptProcessing").
   */
  _onPinStateChanged(pin: Pin, from: KsStateValue, to: KsStateValue): void {
    this.updateFrameInputs(pin);
    if (to > from && (pin.flags & PinFlags.doNotInitiateProcessing) === 0) this._attempt();
  }

  /** @internal a pin of this filter flushed its queue. */
  _onPinFlushed(pin: Pin): void {
    this.updateFrameInputs(pin);
    this._dispatch?.reset?.(this);
  }

  private updateFrameInput(pin: Pin): void {
    if (!this.filterCentric) return;
    let want = INPUT_NONE;
    if (
      (pin.flags & PinFlags.framesNotRequiredForProcessing) === 0 &&
      pin.pipeState !== KsState.stop &&
      // a delegate branch gets views of the delegate's frames after the call, never a frame of its own
      (this._sharedBranches.size === 0 || !this._sharedBranches.has(pin))
    ) {
      // An in-place output pin shares its input's frames: it has a frame when its input pin has one.
      const counterpart = pin.inPlaceCounterpart;
      const holder = counterpart !== null && pin.dataFlow === DataFlow.out ? counterpart : pin;
      want = holder.hasFramesAhead() ? INPUT_ON : INPUT_OFF;
    }
    this.setFrameInput(pin, want);
  }

  private updateFrameInputs(pin: Pin): void {
    this.updateFrameInput(pin);
    const counterpart = pin.inPlaceCounterpart;
    if (counterpart !== null) this.updateFrameInput(counterpart);
  }

  private frameGateOf(pin: Pin, create: boolean): Gate | null {
    if ((pin.flags & PinFlags.someFramesRequiredForProcessing) === 0) return pin._frameGate ?? this.andGate;
    let gate = this._implicitOr[pin.id] ?? null;
    if (gate === null && create) {
      gate = Gate.or(this.andGate);
      this._implicitOr[pin.id] = gate;
    }
    return gate;
  }

  private setFrameInput(pin: Pin, want: number): void {
    const have = pin._frameInput;
    if (have === want) return;
    const some = (pin.flags & PinFlags.someFramesRequiredForProcessing) !== 0;
    const gate = this.frameGateOf(pin, want !== INPUT_NONE);
    if (gate !== null) {
      // Net effect on the gate's count: an AND gate counts off inputs (−1 each), an OR gate on inputs (+1 each).
      const weight = (v: number) => (gate.kind === 'and' ? (v === INPUT_OFF ? -1 : 0) : v === INPUT_ON ? 1 : 0);
      const delta = weight(want) - weight(have);
      for (let d = delta; d > 0; d--) gate.turnInputOn();
      for (let d = delta; d < 0; d++) gate.turnInputOff();
    }
    pin._frameInput = want;
    if (some) {
      if (have === INPUT_NONE) this._implicitOrUsers[pin.id]!++;
      if (want === INPUT_NONE && --this._implicitOrUsers[pin.id]! === 0 && gate !== null) {
        gate.terminate();
        this._implicitOr[pin.id] = null;
      }
    }
  }

  // ---------------------------------------------------------------- lifetime

  /** True until {@link close}. */
  get isOpen(): boolean {
    return !this._closed;
  }

  /** Closes every pin (last created first), then calls the Close dispatch. */
  close(): void {
    if (this._closed) return;
    for (let id = this._pins.length - 1; id >= 0; id--) {
      const list = this._pins[id]!;
      while (list.length > 0) list[list.length - 1]!.close();
    }
    this._dispatch?.close?.(this);
    this._closed = true;
    this.factory._removeFilter(this);
  }

  private assertOpen(): void {
    if (this._closed)
      throw new StateError(
        'filter: a closed filter is not allowed; expected an open filter',
        Status.invalidDeviceState,
      );
  }
}
