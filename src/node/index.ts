/**
 * avstream/node — the Node.js-only entry: graph endpoints as Node streams (`stream.Readable` / `stream.Writable`)
 * and helpers that attach Node streams to a graph. Everything else lives in the browser-safe `avstream` entry.
 * @packageDocumentation
 */

export { addNodeSink, addNodeSource, type NodeSinkOptions } from './node-attach.js';
export { type ToNodeReadableOptions, toNodeReadable } from './node-readable.js';
export { type ToNodeWritableOptions, toNodeWritable } from './node-writable.js';
