/**
 * Reusable filters written only against the public API: test and example building blocks.
 * @module
 */
export { type CopyTransformOptions, copyTransform } from './copy-transform.js';
export { type NullSinkCounts, nullSink } from './null-sink.js';
export { fillPattern, patternByte, patternChunks } from './pattern.js';
export { type XorTransformOptions, xorTransform } from './xor-transform.js';
