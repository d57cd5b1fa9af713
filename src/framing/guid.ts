import { argumentError } from '../errors.js';

/** A GUID in lowercase registry form without braces: `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
export type Guid = string;

const GUID_RE = /^\{?([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})\}?$/;

/** True when `value` is a GUID string (braces optional, any case). */
export function isGuid(value: unknown): value is Guid {
  return typeof value === 'string' && GUID_RE.test(value);
}

/**
 * Normalises a GUID string to lowercase without braces.
 * @throws TypeError when `value` is not a GUID
 */
export function normalizeGuid(value: string, name = 'guid'): Guid {
  const m = GUID_RE.exec(value);
  if (!m) throw argumentError('type', name, value, 'a GUID such as "4a6d5fc4-7895-11d1-b069-00a0c9062802"');
  return `${m[1]}-${m[2]}-${m[3]}-${m[4]}-${m[5]}`.toLowerCase();
}

/** Writes a GUID in Windows byte order (Data1, Data2, Data3 little-endian; Data4 as is) at `offset`. */
export function writeGuid(view: DataView, offset: number, guid: Guid): void {
  const hex = normalizeGuid(guid).replaceAll('-', '');
  view.setUint32(offset, Number.parseInt(hex.slice(0, 8), 16), true);
  view.setUint16(offset + 4, Number.parseInt(hex.slice(8, 12), 16), true);
  view.setUint16(offset + 6, Number.parseInt(hex.slice(12, 16), 16), true);
  for (let i = 0; i < 8; i++) view.setUint8(offset + 8 + i, Number.parseInt(hex.slice(16 + 2 * i, 18 + 2 * i), 16));
}

/** Reads a GUID stored in Windows byte order at `offset`. */
export function readGuid(view: DataView, offset: number): Guid {
  const h = (n: number, width: number) => n.toString(16).padStart(width, '0');
  let d4 = '';
  for (let i = 0; i < 8; i++) d4 += h(view.getUint8(offset + 8 + i), 2);
  return `${h(view.getUint32(offset, true), 8)}-${h(view.getUint16(offset + 4, true), 4)}-${h(
    view.getUint16(offset + 6, true),
    4,
  )}-${d4.slice(0, 4)}-${d4.slice(4)}`;
}
