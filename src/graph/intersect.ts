import { GUID_NULL } from '../framing/constants.js';
import { normalizeGuid } from '../framing/guid.js';
import { DataFormatSpecifier, type KsDataFormat, type KsDataRange } from '../pin/data-format.js';
import type { PinDescriptorEx } from '../pin/pin-descriptor.js';
import { Status, type StatusCode } from '../status.js';

/**
 * Data-format intersection for a connection (the graph manager's half of KSPROPERTY_PIN_DATAINTERSECTION).
 * @module
 */

/** One candidate format for a connection and the range pair it came from. */
export interface IntersectionCandidate {
  /** The proposed format (set on both pins, each checks it with its SetDataFormat walk). */
  readonly format: KsDataFormat;
  /** The output pin's range (the caller's range). */
  readonly outputRange: KsDataRange;
  /** The input pin's range that matched it. */
  readonly inputRange: KsDataRange;
  /** `inputHandler`, `outputHandler` or `default` (see {@link intersectionCandidates}). */
  readonly via: 'inputHandler' | 'outputHandler' | 'default';
}

function guidsCompatible(a: string, b: string): boolean {
  const x = normalizeGuid(a);
  const y = normalizeGuid(b);
  return x === GUID_NULL || y === GUID_NULL || x === y;
}

/** True when two ranges can intersect on GUIDs (each of major, sub and specifier equal, or either a wildcard). */
export function rangesCompatible(a: KsDataRange, b: KsDataRange): boolean {
  return (
    guidsCompatible(a.majorFormat, b.majorFormat) &&
    guidsCompatible(a.subFormat, b.subFormat) &&
    guidsCompatible(a.specifier, b.specifier)
  );
}

function isConcrete(r: KsDataRange): boolean {
  return (
    normalizeGuid(r.majorFormat) !== GUID_NULL &&
    normalizeGuid(r.subFormat) !== GUID_NULL &&
    normalizeGuid(r.specifier) !== GUID_NULL
  );
}

function pick(a: string, b: string): string {
  return normalizeGuid(a) === GUID_NULL ? b : a;
}

/**
 * The default intersection of two GUID-compatible ranges (no intersect handler on either pin) [I]. AVStream's default
 * intersection only serves KSDATAFORMAT_SPECIFIER_NONE ranges (spec §3.1): a pair whose specifier (merged: a wildcard
 * takes the other side's) is anything else — VIDEOINFO, WAVEFORMATEX, … — has a format-specific block only a handler
 * can build, so it gives no format, concrete or not. Otherwise: when one range is concrete (no wildcard GUID) it is
 * the format — the output's first — with its format-specific fields; else the header merged field by field (a
 * wildcard takes the other side's GUID), `formatSize` 64.
 */
export function defaultIntersection(output: KsDataRange, input: KsDataRange): KsDataFormat | null {
  const specifier = pick(output.specifier, input.specifier);
  const s = normalizeGuid(specifier);
  if (s !== GUID_NULL && s !== DataFormatSpecifier.none) return null;
  if (isConcrete(output)) return output;
  if (isConcrete(input)) return input;
  return {
    formatSize: 64,
    flags: output.flags | input.flags,
    sampleSize: output.sampleSize || input.sampleSize,
    majorFormat: pick(output.majorFormat, input.majorFormat),
    subFormat: pick(output.subFormat, input.subFormat),
    specifier,
  };
}

/**
 * The candidate formats for connecting `output` (pin type of `outputFilter`) to `input`, best first: for each of the
 * output's data ranges in order, each GUID-compatible range of the input in order; the input pin's intersect handler
 * (PFNKSINTERSECTHANDLEREX, called with the output's range as the caller's range) decides, else the output pin's
 * handler (with the roles swapped), else {@link defaultIntersection}. A handler returning `noMatch` skips the pair;
 * any other status is an error that ends the intersection (KsPinDataIntersection: "until either a match is found or
 * an error occurs"); each status is reported through `onStatus`. Lazy: the graph manager stops at the first
 * candidate both pins accept.
 *
 * @param outputContext - the context passed to the output's handler (its filter)
 * @param inputContext - the context passed to the input's handler (its filter)
 */
export function* intersectionCandidates(
  output: PinDescriptorEx,
  input: PinDescriptorEx,
  outputContext: unknown,
  inputContext: unknown,
  onStatus?: (status: StatusCode) => void,
): Generator<IntersectionCandidate> {
  const inHandler = input.intersectHandler ?? null;
  const outHandler = output.intersectHandler ?? null;
  for (const outputRange of output.dataRanges) {
    for (const inputRange of input.dataRanges) {
      if (!rangesCompatible(outputRange, inputRange)) continue;
      let result: KsDataFormat | StatusCode | null;
      let via: IntersectionCandidate['via'];
      if (inHandler) {
        result = inHandler(inputContext, outputRange, inputRange);
        via = 'inputHandler';
      } else if (outHandler) {
        result = outHandler(outputContext, inputRange, outputRange);
        via = 'outputHandler';
      } else {
        result = defaultIntersection(outputRange, inputRange);
        via = 'default';
      }
      if (result === null) {
        onStatus?.(Status.noMatch);
        continue;
      }
      if (typeof result === 'number') {
        onStatus?.(result);
        // KsPinDataIntersection calls the handler "until either a match is found or an error occurs": noMatch
        // skips the pair, any other status ends the intersection
        if (result === Status.noMatch) continue;
        return;
      }
      yield { format: result, outputRange, inputRange, via };
    }
  }
}
