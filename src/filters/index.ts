/**
 * Reusable filters written only against the public API: test and example building blocks.
 * @module
 */
export { type CopyTransformOptions, copyTransform } from './copy-transform.js';
export { type NullSinkCounts, nullSink } from './null-sink.js';
export { fillPattern, patternByte, patternChunks } from './pattern.js';
export { type PatternSourceCounts, type PatternSourceOptions, patternSource } from './pattern-source.js';
export { type XorTransformOptions, xorTransform } from './xor-transform.js';
