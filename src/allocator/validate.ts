import { argumentError, FramingError } from '../errors.js';
import { MAX_FILE_ALIGNMENT, OptionFlags } from '../framing/constants.js';
import { isAlignmentMask } from '../framing/range-math.js';
import type { AllocatorFraming } from '../framing/types.js';
import { isUint32 } from '../framing/validate.js';
import { isKnownPoolType } from '../memory/pool-type.js';
import { Status } from '../status.js';

/**
 * The most frames one allocator may have outstanding (65 536), checked before any memory is reserved. Every frame has
 * bookkeeping built up front — a `Uint8Array` view and a pooled handle, a few hundred bytes of JS heap, or its own
 * ArrayBuffer for the user-memory allocator — so the byte caps on frame data (`maxSlabBytes`, `maxBytes`) alone would
 * let a request of 2^20 one-byte frames build ≈ 200 MB of objects; this bound keeps that below ≈ 15 MB.
 */
export const MAX_ALLOCATOR_FRAMES = 1 << 16;

const FIELDS = ['optionsFlags', 'poolType', 'frames', 'frameSize', 'fileAlignment', 'reserved'] as const;

/**
 * KsValidateAllocatorCreateRequest: checks a legacy KSALLOCATOR_FRAMING used as an allocator create request and
 * returns a frozen copy of it. Every allocator (default, vendor, user) runs this before it is initialized.
 *
 * Rules (ReactOS' checks plus avstream's decisions, see docs/allocators.md):
 * - every field a uint32 number (else TypeError/FramingError naming `framing.<field>`);
 * - `optionsFlags` only KSALLOCATOR_OPTIONF_* bits (mask 0x3);
 * - `poolType` one of NonPagedPool 0, PagedPool 1, NonPagedPoolCacheAligned 4, PagedPoolCacheAligned 5,
 *   NonPagedPoolNx 512;
 * - `frames` 1 … {@link MAX_ALLOCATOR_FRAMES} ([I] 0 = "no requirement" cannot size a pool: negotiation resolves it);
 * - `frameSize` ≥ 1;
 * - `fileAlignment` an alignment mask 2^k − 1 not above PAGE_SIZE − 1;
 * - `reserved` 0.
 *
 * @throws FramingError with `status` Status.invalidParameter (or insufficientResources for too many frames)
 * @example
 * ```ts
 * validateAllocatorFraming({ optionsFlags: 0, poolType: 0, frames: 8, frameSize: 4096, fileAlignment: 63, reserved: 0 });
 * ```
 */
export function validateAllocatorFraming(framing: Readonly<AllocatorFraming>): Readonly<AllocatorFraming> {
  if (framing === null || typeof framing !== 'object') {
    throw argumentError('type', 'framing', framing, 'a KSALLOCATOR_FRAMING object');
  }
  // Each field is read exactly once, into the copy that is checked and returned: a getter or proxy cannot pass the
  // checks with one value and hand the allocator another (the frame count and size bound memory reservations).
  const copy = {} as Record<(typeof FIELDS)[number], number>;
  for (const field of FIELDS) {
    let value: unknown;
    try {
      value = framing[field];
    } catch (cause) {
      const error = new FramingError(field, undefined, 'a readable field (its getter or proxy trap threw)');
      (error as { cause?: unknown }).cause = cause;
      throw error;
    }
    if (typeof value !== 'number') throw argumentError('type', `framing.${field}`, value, 'a uint32 number');
    if (!isUint32(value)) throw new FramingError(field, value, 'an integer 0 … 0xffffffff');
    copy[field] = value;
  }
  if ((copy.optionsFlags & ~OptionFlags.valid) !== 0) {
    throw new FramingError('optionsFlags', copy.optionsFlags, 'only KSALLOCATOR_OPTIONF_* bits (mask 0x3)');
  }
  if (!isKnownPoolType(copy.poolType)) {
    throw new FramingError('poolType', copy.poolType, 'a POOL_TYPE of 0, 1, 4, 5 or 512');
  }
  if (copy.frames === 0) throw new FramingError('frames', 0, 'at least 1 frame');
  if (copy.frames > MAX_ALLOCATOR_FRAMES) {
    throw new FramingError(
      'frames',
      copy.frames,
      `at most ${MAX_ALLOCATOR_FRAMES} frames`,
      Status.insufficientResources,
    );
  }
  if (copy.frameSize === 0) throw new FramingError('frameSize', 0, 'a frame size of at least 1 byte');
  if (!isAlignmentMask(copy.fileAlignment) || copy.fileAlignment > MAX_FILE_ALIGNMENT) {
    throw new FramingError(
      'fileAlignment',
      copy.fileAlignment,
      `an alignment mask 2^k − 1 not above ${MAX_FILE_ALIGNMENT} (PAGE_SIZE − 1)`,
    );
  }
  if (copy.reserved !== 0) throw new FramingError('reserved', copy.reserved, '0');
  return Object.freeze({
    optionsFlags: copy.optionsFlags,
    poolType: copy.poolType,
    frames: copy.frames,
    frameSize: copy.frameSize,
    fileAlignment: copy.fileAlignment,
    reserved: copy.reserved,
  });
}
