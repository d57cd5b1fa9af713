/**
 * Debug-mode guard bytes: canaries around frame data and poison written into freed frames (MSVC debug-heap values).
 * @module
 */

/** The canary byte written into every prefix and padding zone in debug mode ("no man's land"). */
export const CANARY_BYTE = 0xfd;

/** The byte written over a frame's data when it is freed in debug mode ("dead memory"). */
export const POISON_BYTE = 0xdd;

/** Writes {@link CANARY_BYTE} into `bytes[start, end)`. */
export function writeCanary(bytes: Uint8Array, start: number, end: number): void {
  if (end > start) bytes.fill(CANARY_BYTE, start, end);
}

/** The index of the first byte in `bytes[start, end)` that is not {@link CANARY_BYTE}, or −1. */
export function findCanaryViolation(bytes: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) if (bytes[i] !== CANARY_BYTE) return i;
  return -1;
}
