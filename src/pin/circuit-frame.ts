import type { FrameBuffer } from '../allocator/types.js';
import { Frame } from '../stream/frame.js';

/** The end of a circuit: the requester (back to the allocator) or an injecting pin (its frame-return callback). */
export interface FrameReturnSink {
  /** Takes back a frame that left its circuit (completed at the last pin, flushed, cancelled or failed). */
  returnFrame(frame: CircuitFrame): void;
}

/**
 * A {@link Frame} that circulates through a pipe and knows where it goes back to when it leaves the circuit.
 * Built once per allocator slot (requester) or per injected frame.
 */
export class CircuitFrame extends Frame {
  /** Where the frame returns when it leaves the circuit. */
  readonly returnTo: FrameReturnSink;

  constructor(returnTo: FrameReturnSink, buffer: FrameBuffer | null, data: Uint8Array | null = buffer?.data ?? null) {
    super(buffer, data);
    this.returnTo = returnTo;
  }
}
