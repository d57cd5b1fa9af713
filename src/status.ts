/**
 * NTSTATUS values used by the AVStream model.
 *
 * AVStream reports results as NTSTATUS codes; avstream keeps the same numeric values (as unsigned 32-bit numbers)
 * under camelCase names so a driver developer can match them against `ntstatus.h`.
 *
 * @example
 * ```ts
 * import { Status, ntSuccess, statusName } from 'avstream';
 * ntSuccess(Status.pending); // true
 * statusName(0xc00000a3); // 'deviceNotReady'
 * ```
 */
export const Status = {
  /** STATUS_SUCCESS */
  success: 0x00000000,
  /** STATUS_PENDING */
  pending: 0x00000103,
  /** STATUS_BUFFER_OVERFLOW (a warning: the reply did not fit; the size is reported) */
  bufferOverflow: 0x80000005,
  /** STATUS_NO_MORE_ENTRIES */
  noMoreEntries: 0x8000001a,
  /** STATUS_UNSUCCESSFUL */
  unsuccessful: 0xc0000001,
  /** STATUS_NOT_IMPLEMENTED */
  notImplemented: 0xc0000002,
  /** STATUS_INVALID_PARAMETER */
  invalidParameter: 0xc000000d,
  /** STATUS_INVALID_DEVICE_REQUEST */
  invalidDeviceRequest: 0xc0000010,
  /** STATUS_END_OF_FILE */
  endOfFile: 0xc0000011,
  /** STATUS_BUFFER_TOO_SMALL */
  bufferTooSmall: 0xc0000023,
  /** STATUS_INSUFFICIENT_RESOURCES */
  insufficientResources: 0xc000009a,
  /** STATUS_DEVICE_NOT_READY */
  deviceNotReady: 0xc00000a3,
  /** STATUS_NOT_SUPPORTED */
  notSupported: 0xc00000bb,
  /** STATUS_CANCELLED */
  cancelled: 0xc0000120,
  /** STATUS_INVALID_DEVICE_STATE */
  invalidDeviceState: 0xc0000184,
  /** STATUS_NOT_FOUND */
  notFound: 0xc0000225,
  /** STATUS_PROPSET_NOT_FOUND */
  propsetNotFound: 0xc0000230,
  /** STATUS_NO_MATCH */
  noMatch: 0xc0000272,
} as const;

/** A status name, e.g. `'deviceNotReady'`. */
export type StatusName = keyof typeof Status;

/** An NTSTATUS value (unsigned 32-bit). Any number is accepted; {@link Status} names the ones avstream uses. */
export type StatusCode = number;

const names = new Map<number, StatusName>();
for (const [name, value] of Object.entries(Status)) names.set(value, name as StatusName);

/**
 * NT_SUCCESS: true for success, informational and warning-free codes (severity bits 00 or 01).
 * @param status - an NTSTATUS value, signed or unsigned
 */
export function ntSuccess(status: StatusCode): boolean {
  return (status | 0) >= 0;
}

/**
 * The camelCase name of a status, or its hex form (`0xc0000001`) when avstream does not name it.
 * @param status - an NTSTATUS value, signed or unsigned
 */
export function statusName(status: StatusCode): string {
  const unsigned = status >>> 0;
  return names.get(unsigned) ?? `0x${unsigned.toString(16).padStart(8, '0')}`;
}
