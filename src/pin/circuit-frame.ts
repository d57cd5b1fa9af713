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
  /**
   * @internal The allocator slot a requester built this frame for (the index of its buffer when it was built), or
   * -1 (an injected frame). The requester's fused free compares the frame's buffer with that slot's handle by
   * identity, without reading the buffer.
   */
  _poolSlot = -1;

  constructor(returnTo: FrameReturnSink, buffer: FrameBuffer | null, data: Uint8Array | null = buffer?.data ?? null) {
    super(buffer, data);
    this.returnTo = returnTo;
  }
}
