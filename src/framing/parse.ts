import { FramingError } from '../errors.js';
import { MAX_FRAMING_ITEMS } from './constants.js';
import {
  COMPRESSION_FIELDS,
  FRAMING_EX_FIELDS,
  FRAMING_FIELDS,
  FRAMING_ITEM_FIELDS,
  FRAMING_RANGE_FIELDS,
  FRAMING_RANGE_WEIGHTED_FIELDS,
} from './field-names.js';
import { isGuid, normalizeGuid } from './guid.js';
import type { AllocatorFraming, AllocatorFramingEx, FramingItem, FramingRange } from './types.js';
import { isUint32, validateFraming, validateFramingEx } from './validate.js';

/**
 * Parsing of framings that come from outside (JSON files, graph descriptions, messages): untrusted input.
 *
 * Every object must be a plain data object with exactly the modelled keys: unknown keys, `__proto__`, `constructor`
 * and `prototype`, symbol keys and accessor properties are rejected; missing fields are rejected; the item count is
 * bounded by {@link MAX_FRAMING_ITEMS} before anything is allocated. The result is a fresh copy holding only the
 * modelled fields (GUIDs normalised to lowercase without braces) that has passed {@link validateFramingEx}.
 * @module
 */

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

type Fields<K extends string> = { [P in K]: unknown };

/**
 * Runs a reflection step (`Array.isArray`, `Object.getPrototypeOf`, `Reflect.ownKeys`, a property descriptor) on an
 * untrusted value: a proxy trap that throws, or a revoked proxy, becomes a FramingError naming `where`.
 */
function reflect<T>(where: string, value: unknown, step: () => T): T {
  try {
    return step();
  } catch (cause) {
    if (cause instanceof FramingError) throw cause;
    throw new FramingError(where, value, 'a plain data object whose properties can be read');
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/**
 * Reads a plain data object with exactly the keys `required` (plus any of `optional`), without invoking getters.
 * `path` names the object ('' for the root, reported as `rootName`).
 */
function readObject<K extends string, O extends string = never>(
  value: unknown,
  path: string,
  rootName: string,
  required: readonly K[],
  optional: readonly O[] = [],
): Fields<K> & Partial<Fields<O>> {
  const where = path === '' ? rootName : path;
  return reflect(where, value, () => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new FramingError(where, value, 'a plain object');
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new FramingError(where, value, 'a plain object (created by a literal or JSON.parse)');
    }
    const out: Record<string, unknown> = Object.create(null);
    const known = new Set<string>([...required, ...optional]);
    const keys = Reflect.ownKeys(value);
    for (const key of keys) {
      if (typeof key === 'symbol') throw new FramingError(where, key.toString(), 'no symbol keys');
      const desc = Object.getOwnPropertyDescriptor(value, key);
      const field = join(path, key);
      if (desc === undefined) throw new FramingError(field, undefined, 'a data property');
      if (FORBIDDEN_KEYS.has(key)) {
        throw new FramingError(field, desc.value, `no "${key}" key (prototype keys are rejected)`);
      }
      if (!known.has(key)) {
        throw new FramingError(field, desc.value, `no such field; known fields: ${[...known].join(', ')}`);
      }
      if (!('value' in desc)) throw new FramingError(field, undefined, 'a data property (not a getter or setter)');
      out[key] = Object.is(desc.value, -0) ? 0 : desc.value; // -0 is the ULONG 0 (and round-trips as 0)
    }
    for (const key of required) {
      if (!(key in out)) throw new FramingError(join(path, key), undefined, 'a value (the field is missing)');
    }
    return out as Fields<K> & Partial<Fields<O>>;
  });
}

function parseGuid(value: unknown): unknown {
  return isGuid(value) ? normalizeGuid(value) : value;
}

function parseRange(value: unknown, path: string): FramingRange {
  const r = readObject(value, path, path, FRAMING_RANGE_FIELDS);
  return { minFrameSize: r.minFrameSize, maxFrameSize: r.maxFrameSize, stepping: r.stepping } as FramingRange;
}

function parseItem(value: unknown, path: string): FramingItem {
  const o = readObject(value, path, path, FRAMING_ITEM_FIELDS);
  const wPath = `${path}.framingRange`;
  const w = readObject(o.framingRange, wPath, wPath, FRAMING_RANGE_WEIGHTED_FIELDS);
  return {
    memoryType: parseGuid(o.memoryType),
    busType: parseGuid(o.busType),
    memoryFlags: o.memoryFlags,
    busFlags: o.busFlags,
    flags: o.flags,
    frames: o.frames,
    fileAlignment: o.fileAlignment,
    memoryTypeWeight: o.memoryTypeWeight,
    physicalRange: parseRange(o.physicalRange, `${path}.physicalRange`),
    framingRange: {
      range: parseRange(w.range, `${wPath}.range`),
      inPlaceWeight: w.inPlaceWeight,
      notInPlaceWeight: w.notInPlaceWeight,
    },
  } as FramingItem;
}

/**
 * Copies the untrusted items array: a real array of 1..MAX_FRAMING_ITEMS data elements, its length read once and
 * bounded before any element is read (a proxy cannot change it between the check and the loop).
 */
function readItems(value: unknown): unknown[] {
  const bound = `between 1 and ${MAX_FRAMING_ITEMS} framing items (CountItems)`;
  return reflect('items', value, () => {
    if (!Array.isArray(value)) throw new FramingError('items', value, 'an array of framing items');
    const length: unknown = Object.getOwnPropertyDescriptor(value, 'length')?.value;
    if (!isUint32(length) || length < 1 || length > MAX_FRAMING_ITEMS) throw new FramingError('items', length, bound);
    const out: unknown[] = [];
    for (let i = 0; i < length; i++) {
      const desc = Object.getOwnPropertyDescriptor(value, i);
      if (desc === undefined || !('value' in desc)) {
        throw new FramingError(`items[${i}]`, undefined, 'a framing item object (no holes or getters in the array)');
      }
      out.push(desc.value);
    }
    return out;
  });
}

/**
 * Parses an untrusted KSALLOCATOR_FRAMING_EX (for example from `JSON.parse`) into a clean, validated copy.
 *
 * Accepted shape: `{ pinFlags, outputCompression: { ratioNumerator, ratioDenominator, ratioConstantMargin },
 * pinWeight, items: [ … ], countItems? }` with each item as {@link FramingItem}. `countItems` is optional; when
 * present it must equal `items.length`. GUIDs may have braces and any case. Numbers must be numbers (no strings).
 *
 * @throws FramingError naming the offending field path (`items[2].busType`, `items[0].foo`, `countItems`, …)
 */
export function parseFramingEx(untrusted: unknown): AllocatorFramingEx {
  const root = readObject(untrusted, '', 'framingEx', FRAMING_EX_FIELDS, ['countItems'] as const);
  const bound = `between 1 and ${MAX_FRAMING_ITEMS} framing items (CountItems)`;
  if ('countItems' in root) {
    const count = root.countItems;
    if (!isUint32(count) || count < 1 || count > MAX_FRAMING_ITEMS) throw new FramingError('countItems', count, bound);
  }
  const items = readItems(root.items);
  if ('countItems' in root && root.countItems !== items.length) {
    throw new FramingError('countItems', root.countItems, `items.length (${items.length})`);
  }
  const parsedItems: FramingItem[] = [];
  for (let i = 0; i < items.length; i++) parsedItems.push(parseItem(items[i], `items[${i}]`));
  const c = readObject(root.outputCompression, 'outputCompression', '', COMPRESSION_FIELDS);
  const framing = {
    pinFlags: root.pinFlags,
    outputCompression: {
      ratioNumerator: c.ratioNumerator,
      ratioDenominator: c.ratioDenominator,
      ratioConstantMargin: c.ratioConstantMargin,
    },
    pinWeight: root.pinWeight,
    items: parsedItems,
  } as AllocatorFramingEx;
  return validateFramingEx(framing);
}

/**
 * Parses an untrusted legacy KSALLOCATOR_FRAMING `{ optionsFlags, poolType, frames, frameSize, fileAlignment,
 * reserved }` into a clean, validated copy. Same rules as {@link parseFramingEx}.
 * @throws FramingError naming the offending field
 */
export function parseFraming(untrusted: unknown): AllocatorFraming {
  const o = readObject(untrusted, '', 'framing', FRAMING_FIELDS);
  const framing = {
    optionsFlags: o.optionsFlags,
    poolType: o.poolType,
    frames: o.frames,
    frameSize: o.frameSize,
    fileAlignment: o.fileAlignment,
    reserved: o.reserved,
  } as AllocatorFraming;
  return validateFraming(framing);
}
