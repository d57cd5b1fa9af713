import type { Pin } from '../pin/pin.js';
import type { Frame } from '../stream/frame.js';
import type { StreamPointer } from '../stream/stream-pointer.js';

/**
 * KSPROCESSPIN: one pin instance as a filter-centric Process routine sees it. The objects are built once per pin
 * instance and refreshed before every call (no allocation per call).
 *
 * Before the call `data`/`bytesAvailable` describe the unused part of the frame at the pin's leading edge (null/0
 * when the pin has no frame). The driver consumes (input) or fills (output) bytes and sets `bytesUsed`; after the
 * call avstream advances the leading edge by `bytesUsed`. A frame whose bytes are all used, or whose process pin
 * has `terminate` set, leaves the leading edge (and completes when nothing else holds it); otherwise it stays for
 * the next call.
 */
export class ProcessPin {
  /** Pin: the pin instance. */
  readonly pin: Pin;
  /** StreamPointer: the locked leading edge while the pin has a frame, else null. */
  streamPointer: StreamPointer<Pin> | null = null;
  /**
   * InPlaceCounterpart: for an in-place transform, the process pin on the other side of the filter that shares
   * this pin's frames (set by the graph wiring), else null.
   */
  inPlaceCounterpart: ProcessPin | null = null;
  /**
   * DelegateBranch: for an automatic splitter branch that shares the delegate's frames without a copy (its consumer
   * only reads; same pipe), the delegate's process pin (the first of the entry); null otherwise. Such a branch has
   * no frame of its own: avstream sends its consumer a view of each delegate frame. The driver skips branch pins.
   */
  delegateBranch: ProcessPin | null = null;
  /**
   * CopySource: for an automatic splitter branch fed by copies (its own pipe, e.g. its consumer modifies in place),
   * the process pin its data is copied from after the call (the delegate); null otherwise.
   */
  copySource: ProcessPin | null = null;
  /** Data: the unused bytes of the current frame, or null. */
  data: Uint8Array | null = null;
  /** BytesAvailable: bytes in `data`. */
  bytesAvailable = 0;
  /** BytesUsed: set by the driver — bytes consumed (input) or produced (output) in this call. */
  bytesUsed = 0;
  /** Flags: the frame's stream-header options flags (KSSTREAM_HEADER_OPTIONSF_*), 0 with no frame. */
  flags = 0;
  /** Terminate: set by the driver to send the current frame on even though not all of it was used. */
  terminate = false;

  /** @internal the frame the leading edge was locked on before the call. */
  _frame: Frame | null = null;

  /** @internal */
  constructor(pin: Pin) {
    this.pin = pin;
  }
}

/**
 * KSPROCESSPIN_INDEXENTRY: the process pins of one pin descriptor (pin id), in instance creation order — except that a
 * SPLITTER pin type lists its delegate first.
 * `pins` is reused between calls; only the first `count` entries are meaningful.
 */
export interface ProcessPinIndexEntry {
  /** Pins: the process pins of this pin id. */
  readonly pins: readonly ProcessPin[];
  /** Count: how many instances this pin id has. */
  readonly count: number;
}
