import { argumentError } from '../errors.js';

/** Which kind of gate a {@link Gate} is. */
export type GateKind = 'and' | 'or';

/**
 * KSGATE: a flow-control gate (spec §3.5).
 *
 * A gate is a counter. An AND gate starts at 1 and every *off* input takes one away (Count = 1 − #off inputs);
 * an OR gate starts at 0 and every *on* input adds one (Count = #on inputs). Either is open iff Count > 0. When a
 * gate opens or closes it turns its own input on or off in `nextGate`, so gates chain (an OR gate of several pins
 * feeding a filter's AND gate).
 *
 * The methods mirror the ks.h inline functions: `turnInputOn`/`turnInputOff` = KsGateTurnInputOn/Off,
 * `addOnInputToAnd`/`addOffInputToAnd`/`removeOffInputFromAnd`/… = KsGateAdd…/KsGateRemove…, `captureThreshold` =
 * KsGateCaptureThreshold, `isOpen` = KsGateGetStateUnsafe.
 */
export class Gate {
  /** AND or OR. */
  readonly kind: GateKind;
  /** Count: open iff > 0. */
  count: number;
  /** NextGate: the gate this one is an input of, or null. */
  readonly nextGate: Gate | null;

  private constructor(kind: GateKind, nextGate: Gate | null) {
    this.kind = kind;
    this.count = kind === 'and' ? 1 : 0;
    this.nextGate = nextGate;
  }

  /**
   * KsGateInitializeAnd: an AND gate (Count 1, open). With `nextOrGate` the new gate is an *on* input of it.
   */
  static and(nextOrGate: Gate | null = null): Gate {
    if (nextOrGate !== null && !(nextOrGate instanceof Gate)) {
      throw argumentError('type', 'nextOrGate', nextOrGate, 'a Gate (an OR gate) or null');
    }
    const gate = new Gate('and', nextOrGate);
    if (nextOrGate) nextOrGate.addOnInput();
    return gate;
  }

  /**
   * KsGateInitializeOr: an OR gate (Count 0, closed). With `nextAndGate` the new gate is an *off* input of it, so
   * the AND gate stays closed until one of this gate's inputs turns on.
   */
  static or(nextAndGate: Gate | null = null): Gate {
    if (nextAndGate !== null && !(nextAndGate instanceof Gate)) {
      throw argumentError('type', 'nextAndGate', nextAndGate, 'a Gate (an AND gate) or null');
    }
    const gate = new Gate('or', nextAndGate);
    if (nextAndGate) nextAndGate.addOffInput();
    return gate;
  }

  /** KsGateGetStateUnsafe: open iff Count > 0. */
  get isOpen(): boolean {
    return this.count > 0;
  }

  /** KsGateTurnInputOn: Count + 1; on the closed→open edge the gate's input in `nextGate` turns on. */
  turnInputOn(): void {
    if (++this.count === 1 && this.nextGate) this.nextGate.turnInputOn();
  }

  /** KsGateTurnInputOff: Count − 1; on the open→closed edge the gate's input in `nextGate` turns off. */
  turnInputOff(): void {
    if (--this.count === 0 && this.nextGate) this.nextGate.turnInputOff();
  }

  /** Adds an input that is on: a no-op for AND gates (on inputs don't count), Count + 1 for OR gates. */
  addOnInput(): void {
    if (this.kind === 'or') this.turnInputOn();
  }

  /** Adds an input that is off: Count − 1 for AND gates, a no-op for OR gates. */
  addOffInput(): void {
    if (this.kind === 'and') this.turnInputOff();
  }

  /** Removes an input that is on: a no-op for AND gates, Count − 1 for OR gates. */
  removeOnInput(): void {
    if (this.kind === 'or') this.turnInputOff();
  }

  /** Removes an input that is off: Count + 1 for AND gates, a no-op for OR gates. */
  removeOffInput(): void {
    if (this.kind === 'and') this.turnInputOn();
  }

  /** KsGateAddOnInputToAnd (a no-op: on inputs don't change an AND gate's count). */
  addOnInputToAnd(): void {
    this.assertKind('and');
  }

  /** KsGateAddOffInputToAnd */
  addOffInputToAnd(): void {
    this.assertKind('and');
    this.turnInputOff();
  }

  /** KsGateRemoveOnInputFromAnd (a no-op). */
  removeOnInputFromAnd(): void {
    this.assertKind('and');
  }

  /** KsGateRemoveOffInputFromAnd */
  removeOffInputFromAnd(): void {
    this.assertKind('and');
    this.turnInputOn();
  }

  /** KsGateAddOnInputToOr */
  addOnInputToOr(): void {
    this.assertKind('or');
    this.turnInputOn();
  }

  /** KsGateAddOffInputToOr (a no-op: off inputs don't change an OR gate's count). */
  addOffInputToOr(): void {
    this.assertKind('or');
  }

  /** KsGateRemoveOnInputFromOr */
  removeOnInputFromOr(): void {
    this.assertKind('or');
    this.turnInputOff();
  }

  /** KsGateRemoveOffInputFromOr (a no-op). */
  removeOffInputFromOr(): void {
    this.assertKind('or');
  }

  /**
   * KsGateCaptureThreshold: if Count is exactly 1, takes it to 0 (closing the gate, so no one else processes) and
   * returns true; otherwise returns false and changes nothing. Release with {@link turnInputOn}.
   */
  captureThreshold(): boolean {
    if (this.count !== 1) return false;
    this.turnInputOff();
    return true;
  }

  /**
   * KsGateTerminateAnd / KsGateTerminateOr: detaches the gate from `nextGate` (an AND gate removes its on input
   * from an OR `nextGate` if it is open; an OR gate removes its off input from an AND `nextGate` if it is closed).
   */
  terminate(): void {
    const next = this.nextGate;
    if (!next) return;
    if (this.isOpen) next.removeOnInput();
    else next.removeOffInput();
  }

  private assertKind(kind: GateKind): void {
    if (this.kind !== kind)
      throw new TypeError(`gate: a ${this.kind.toUpperCase()} gate is not allowed; expected ${kind.toUpperCase()}`);
  }
}
