// Single-field corruption of framings for validation properties (not a test file itself).
import fc from 'fast-check';
import type { AllocatorFraming, AllocatorFramingEx } from '../../src/framing/types.js';
import { UINT32_MAX } from './arbitraries.js';

/** Values that are never a ULONG. */
export const notUlong: fc.Arbitrary<unknown> = fc.constantFrom(
  -1,
  2 ** 32,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  '7',
  null,
  undefined,
  {},
  [],
  7n,
  true,
);

const RANGE_FIELDS = ['minFrameSize', 'maxFrameSize', 'stepping'] as const;

/** Every numeric field path of a KSALLOCATOR_FRAMING_EX with `n` items. */
export function numericPathsEx(n: number): string[] {
  const paths = [
    'pinFlags',
    'pinWeight',
    'outputCompression.ratioNumerator',
    'outputCompression.ratioDenominator',
    'outputCompression.ratioConstantMargin',
  ];
  for (let i = 0; i < n; i++) {
    const p = `items[${i}].`;
    for (const f of ['memoryFlags', 'busFlags', 'flags', 'frames', 'fileAlignment', 'memoryTypeWeight'])
      paths.push(p + f);
    for (const f of RANGE_FIELDS) paths.push(`${p}physicalRange.${f}`, `${p}framingRange.range.${f}`);
    paths.push(`${p}framingRange.inPlaceWeight`, `${p}framingRange.notInPlaceWeight`);
  }
  return paths;
}

/** Every GUID field path of a KSALLOCATOR_FRAMING_EX with `n` items. */
export function guidPathsEx(n: number): string[] {
  const paths: string[] = [];
  for (let i = 0; i < n; i++) paths.push(`items[${i}].memoryType`, `items[${i}].busType`);
  return paths;
}

export const LEGACY_PATHS = ['optionsFlags', 'poolType', 'frames', 'frameSize', 'fileAlignment', 'reserved'];

function split(path: string): string[] {
  return path.replace(/\[(\d+)\]/g, '.$1').split('.');
}

export function getPath(root: unknown, path: string): unknown {
  let o = root as Record<string, unknown>;
  for (const k of split(path)) o = o[k] as Record<string, unknown>;
  return o;
}

export function setPath(root: unknown, path: string, value: unknown): void {
  const keys = split(path);
  let o = root as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
  o[keys[keys.length - 1]!] = value;
}

/**
 * A value that makes the field at `path` invalid on its own, given the rest of `x` (which is valid), or `undefined`
 * when this field has no such semantic corruption (then a non-ULONG is used).
 */
function semanticCorruption(x: unknown, path: string): unknown[] {
  const last = path.slice(path.lastIndexOf('.') + 1);
  const parent = path.slice(0, path.lastIndexOf('.'));
  const v = getPath(x, path);
  switch (last) {
    case 'memoryFlags':
      return [((v as number) | 0x100) >>> 0, ((v as number) | 0x40000000) >>> 0];
    case 'flags':
      return [((v as number) | 0x10000) >>> 0, ((v as number) | 0x40000000) >>> 0];
    case 'optionsFlags':
      return [((v as number) | 0x100) >>> 0];
    case 'fileAlignment':
      return [6, 0x1fff, 0x10, 0xffffffff];
    case 'ratioDenominator':
      return [0];
    case 'minFrameSize': {
      const max = getPath(x, `${parent}.maxFrameSize`) as number;
      return max < UINT32_MAX ? [max + 1] : [];
    }
    case 'stepping': {
      const span = (getPath(x, `${parent}.maxFrameSize`) as number) - (getPath(x, `${parent}.minFrameSize`) as number);
      const bad = Math.max(2, span + 1);
      return bad <= UINT32_MAX ? [bad] : [];
    }
    case 'memoryType':
    case 'busType':
      return ['not-a-guid', `{${v as string}}`, (v as string).replace(/-/g, ''), 42, null];
    default:
      return [];
  }
}

/** A corruption of one field: the path and the bad value. */
export interface Corruption {
  path: string;
  value: unknown;
}

/** Picks one field of `x` and a value that makes exactly that field invalid. */
export function corruption(x: AllocatorFramingEx | AllocatorFraming, paths: string[]): fc.Arbitrary<Corruption> {
  return fc.constantFrom(...paths).chain((path) => {
    const semantic = semanticCorruption(x, path);
    const isGuidPath = path.endsWith('memoryType') || path.endsWith('busType');
    const choices = isGuidPath
      ? fc.constantFrom(...semantic)
      : semantic.length > 0
        ? fc.oneof(notUlong, fc.constantFrom(...semantic))
        : notUlong;
    return choices.map((value) => ({ path, value }));
  });
}
