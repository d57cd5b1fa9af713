import type { SourceFrameInit } from '../index.js';

/**
 * The byte at position `i` of frame `n` in the test pattern: `(n * 31 + i) & 0xff`.
 */
export function patternByte(n: number, i: number): number {
  return (n * 31 + i) & 0xff;
}

/** Fills `bytes` with frame `n` of the pattern. */
export function fillPattern(bytes: Uint8Array, n: number): Uint8Array {
  for (let i = 0; i < bytes.length; i++) bytes[i] = patternByte(n, i);
  return bytes;
}

/**
 * Chunks for a source endpoint: `count` frames of `size` bytes of the pattern, each with a presentation time
 * (`n * duration`) and duration. One buffer is reused (the source copies each chunk into a pipe frame).
 */
export function* patternChunks(count: number, size: number, duration = 333_333): Generator<SourceFrameInit> {
  const bytes = new Uint8Array(size);
  for (let n = 0; n < count; n++) {
    yield { data: fillPattern(bytes, n), presentationTime: n * duration, duration };
  }
}
