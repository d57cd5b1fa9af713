import { argumentError } from '../errors.js';
import { GUID_NULL } from '../framing/constants.js';
import { type Guid, isGuid, normalizeGuid } from '../framing/guid.js';

/** KSDATAFORMAT_TYPE_* major format GUIDs (ks.h / ksmedia.h), lowercase without braces. */
export const DataFormatType = {
  /** KSDATAFORMAT_TYPE_WILDCARD = GUID_NULL: matches any major format. */
  wildcard: GUID_NULL,
  /** KSDATAFORMAT_TYPE_STREAM */
  stream: 'e436eb83-524f-11ce-9f53-0020af0ba770',
  /** KSDATAFORMAT_TYPE_VIDEO */
  video: '73646976-0000-0010-8000-00aa00389b71',
  /** KSDATAFORMAT_TYPE_AUDIO */
  audio: '73647561-0000-0010-8000-00aa00389b71',
} as const;

/** KSDATAFORMAT_SUBTYPE_* GUIDs. */
export const DataFormatSubtype = {
  /** KSDATAFORMAT_SUBTYPE_WILDCARD = GUID_NULL: matches any subformat. */
  wildcard: GUID_NULL,
  /** KSDATAFORMAT_SUBTYPE_NONE */
  none: 'e436eb8e-524f-11ce-9f53-0020af0ba770',
  /** KSDATAFORMAT_SUBTYPE_PCM */
  pcm: '00000001-0000-0010-8000-00aa00389b71',
  /** KSDATAFORMAT_SUBTYPE_IEEE_FLOAT */
  ieeeFloat: '00000003-0000-0010-8000-00aa00389b71',
  /** MEDIASUBTYPE_RGB24 */
  rgb24: 'e436eb7d-524f-11ce-9f53-0020af0ba770',
  /** MEDIASUBTYPE_YUY2 */
  yuy2: '32595559-0000-0010-8000-00aa00389b71',
  /** MEDIASUBTYPE_NV12 */
  nv12: '3231564e-0000-0010-8000-00aa00389b71',
} as const;

/** KSDATAFORMAT_SPECIFIER_* GUIDs. */
export const DataFormatSpecifier = {
  /** KSDATAFORMAT_SPECIFIER_WILDCARD = GUID_NULL: matches any specifier. */
  wildcard: GUID_NULL,
  /** KSDATAFORMAT_SPECIFIER_NONE: no format-specific block follows the header. */
  none: '0f6417d6-c318-11d0-a43f-00a0c9223196',
  /** KSDATAFORMAT_SPECIFIER_VIDEOINFO */
  videoInfo: '05589f80-c356-11ce-bf01-00aa0055595a',
  /** KSDATAFORMAT_SPECIFIER_WAVEFORMATEX */
  waveFormatEx: '05589f81-c356-11ce-bf01-00aa0055595a',
} as const;

/** KSDATAFORMAT flags (`KsDataFormat.flags`). */
export const DataFormatFlags = {
  /** KSDATAFORMAT_TEMPORAL_COMPRESSION */
  temporalCompression: 0x1,
  /** KSDATAFORMAT_ATTRIBUTES: an attribute list follows the format. */
  attributes: 0x2,
} as const;

/** KSDATARANGE flags (`KsDataRange.flags`). */
export const DataRangeFlags = {
  /** KSDATARANGE_ATTRIBUTES: the range has associated attributes. */
  attributes: 0x2,
  /** KSDATARANGE_REQUIRED_ATTRIBUTES: the associated attributes are required. */
  requiredAttributes: 0x4,
} as const;

/**
 * KSDATAFORMAT: the header every data format starts with. Format-specific fields (a VIDEOINFOHEADER, a
 * WAVEFORMATEX, …) are modelled by extending this interface; `formatSize` is the size the whole format would have
 * in memory (header 64 bytes + the specific block), kept for fidelity, not used for layout.
 */
export interface KsDataFormat {
  /** FormatSize: bytes of the whole format, header included (≥ 64). */
  readonly formatSize: number;
  /** Flags: KSDATAFORMAT_* bits ({@link DataFormatFlags}). */
  readonly flags: number;
  /** SampleSize: bytes per sample for fixed-size samples, 0 when samples vary. */
  readonly sampleSize: number;
  /** MajorFormat: a KSDATAFORMAT_TYPE_* GUID. */
  readonly majorFormat: Guid;
  /** SubFormat: a KSDATAFORMAT_SUBTYPE_* GUID. */
  readonly subFormat: Guid;
  /** Specifier: a KSDATAFORMAT_SPECIFIER_* GUID naming the format-specific block. */
  readonly specifier: Guid;
}

/**
 * KSDATARANGE: the same header, used as a range of acceptable formats; GUID fields may be wildcards
 * (GUID_NULL). Range-specific fields are modelled by extending this interface.
 */
export interface KsDataRange extends KsDataFormat {}

/** sizeof(KSDATAFORMAT) in bytes. */
export const KSDATAFORMAT_SIZE = 64;

const guidFields = ['majorFormat', 'subFormat', 'specifier'] as const;

/**
 * Validates a data format or range header: every GUID field a GUID, sizes unsigned 32-bit integers,
 * `formatSize` ≥ 64. Returns the value unchanged.
 * @throws TypeError/RangeError naming the field
 */
export function validateDataFormat<T extends KsDataFormat>(format: T, name = 'format'): T {
  if (format === null || typeof format !== 'object') throw argumentError('type', name, format, 'a KSDATAFORMAT object');
  for (const f of guidFields) {
    if (!isGuid(format[f])) throw argumentError('type', `${name}.${f}`, format[f], 'a GUID string');
  }
  for (const f of ['formatSize', 'flags', 'sampleSize'] as const) {
    const v = format[f];
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw argumentError('range', `${name}.${f}`, v, 'an unsigned 32-bit integer');
    }
  }
  if (format.formatSize < KSDATAFORMAT_SIZE) {
    throw argumentError('range', `${name}.formatSize`, format.formatSize, `at least ${KSDATAFORMAT_SIZE}`);
  }
  return format;
}

function guidMatches(rangeGuid: Guid, formatGuid: Guid): boolean {
  const r = normalizeGuid(rangeGuid);
  return r === GUID_NULL || r === normalizeGuid(formatGuid);
}

/**
 * The GUID part of data intersection: a format falls into a range when each of the range's major format,
 * subformat and specifier equals the format's or is the wildcard (GUID_NULL). Specifier-specific fields are the
 * pin's business (its `setDataFormat` dispatch or intersect handler).
 */
export function dataRangeMatchesFormat(range: KsDataRange, format: KsDataFormat): boolean {
  return (
    guidMatches(range.majorFormat, format.majorFormat) &&
    guidMatches(range.subFormat, format.subFormat) &&
    guidMatches(range.specifier, format.specifier)
  );
}

/** True when two formats have the same header (GUIDs compared normalised). */
export function sameFormatHeader(a: KsDataFormat, b: KsDataFormat): boolean {
  return (
    normalizeGuid(a.majorFormat) === normalizeGuid(b.majorFormat) &&
    normalizeGuid(a.subFormat) === normalizeGuid(b.subFormat) &&
    normalizeGuid(a.specifier) === normalizeGuid(b.specifier) &&
    a.formatSize === b.formatSize &&
    a.sampleSize === b.sampleSize &&
    a.flags === b.flags
  );
}
