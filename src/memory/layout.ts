import { alignUp } from '../framing/range-math.js';

/**
 * Where one frame's bytes sit inside a slab slot (the default allocator's layout, see docs/allocators.md):
 *
 * ```
 * slot i starts at i·stride
 * | prefix zone (≥ prefix bytes) | data (frameSize bytes) | padding zone (≥ padding bytes, up to stride) |
 *                                ^ dataOffset, a multiple of alignment
 * ```
 */
export interface FrameLayout {
  /** Bytes of frame data (the framing's FrameSize). */
  readonly frameSize: number;
  /** The alignment in bytes (mask + 1) of every frame's data and of the stride. */
  readonly alignment: number;
  /** Bytes requested before the data. */
  readonly prefix: number;
  /** Bytes requested after the data. */
  readonly padding: number;
  /** Offset of the data from the slot start: `prefix` rounded up to `alignment`. */
  readonly dataOffset: number;
  /** Bytes between consecutive slots: `dataOffset + frameSize + padding` rounded up to `alignment`. */
  readonly stride: number;
}

/**
 * Computes the slot layout of frames of `frameSize` bytes aligned per the mask `alignmentMask` (2^k − 1), with
 * `prefix` bytes before and `padding` bytes after each frame's data.
 */
export function computeFrameLayout(
  frameSize: number,
  alignmentMask: number,
  prefix: number,
  padding: number,
): FrameLayout {
  const dataOffset = alignUp(prefix, alignmentMask);
  const stride = Math.max(alignUp(dataOffset + frameSize + padding, alignmentMask), 1);
  return { frameSize, alignment: alignmentMask + 1, prefix, padding, dataOffset, stride };
}
