import type { FrameBuffer } from '../allocator/types.js';
import type { StatusCode } from '../status.js';

/**
 * The stream-header fields the pin layer reads and writes (a subset of KSSTREAM_HEADER; the stream layer's
 * header type satisfies it).
 */
export interface PinStreamHeader {
  /** FrameExtent: the buffer size. */
  frameExtent: number;
  /** DataUsed: valid bytes. */
  dataUsed: number;
  /** OptionsFlags: KSSTREAM_HEADER_OPTIONSF_*. */
  optionsFlags: number;
}

/**
 * One frame as it moves between pin queues: its bytes, its header, the allocator buffer it came from (null for an
 * injected frame) and, for injected frames, the submitter's context.
 */
export interface PinFrame {
  /** The frame's bytes (FrameExtent = data.byteLength). */
  readonly data: Uint8Array;
  /** The frame's stream header. */
  readonly header: PinStreamHeader;
  /** The allocator frame, or null when the frame was injected with `submitFrame`. */
  buffer: FrameBuffer | null;
  /** The context given to `submitFrame` (injected frames), else null. */
  context: unknown;
  /** The status the frame completes with (set by setStatusCode; `cancelled` when flushed). */
  status: StatusCode;
  /** Where the frame goes when it leaves the last pin of its circuit (the requester, or the injecting pin). */
  returnTo: FrameReturnSink | null;
}

/** The end of a circuit: the requester (back to the allocator) or an injecting pin (the frame-return callback). */
export interface FrameReturnSink {
  /** Takes back a frame that left its circuit. */
  returnFrame(frame: PinFrame): void;
}

/**
 * What a pin needs from its queue (spec §4). The stream layer's queue implements it; the pin is the queue's host
 * ({@link PinQueueHost}).
 */
export interface PinQueue {
  /** Frames at or ahead of the leading edge. */
  readonly framesAhead: number;
  /** Frames in the queue (any position). */
  readonly size: number;
  /** An arrival: appends a frame; the queue then calls `host.onArrival(wasEmpty)`. */
  add(frame: PinFrame): void;
  /**
   * Flushes the queue (transition to STOP, reset): every frame leaves with `status`, each through
   * `host.onFrameComplete`.
   */
  flush(status: StatusCode): void;
  /** The frame at the leading edge, or null. */
  leadingFrame(): PinFrame | null;
  /** Bytes already used of the leading frame (its Count − Remaining). */
  leadingOffset(): number;
  /**
   * Advances the leading edge by `used` bytes of its frame; when the frame is used up or `eject` is set, the edge
   * moves to the next frame and the frame leaves the window (completing when nothing else holds it).
   */
  advanceLeading(used: number, eject: boolean): void;
}

/**
 * The host interface a queue talks to its owning pin through.
 */
export interface PinQueueHost {
  /** KSPIN_FLAG_* of the pin. */
  readonly flags: number;
  /** A frame arrived; `wasEmpty` = no frame was at or ahead of the leading edge before it. */
  onArrival(wasEmpty: boolean): void;
  /** A frame's references reached zero: it left the queue with `frame.status`. */
  onFrameComplete(frame: PinFrame): void;
}
