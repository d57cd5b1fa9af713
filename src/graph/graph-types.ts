import type { DefaultAllocatorOptions } from '../allocator/default-allocator.js';
import type { FrameAllocator } from '../allocator/types.js';
import type { UserMemoryAllocatorOptions } from '../allocator/user-memory-allocator.js';
import type { Filter } from '../filter/filter.js';
import type { KsDataFormat } from '../pin/data-format.js';
import type { Pin } from '../pin/pin.js';
import type { SplitterFanOut } from '../pin/splitter-fan-out.js';
import type { Requester } from '../processing/requester.js';
import type { WorkScheduler } from '../processing/scheduler.js';
import type { Scheduler } from '../stream/scheduler.js';
import type { NegotiationOptions } from './negotiation/description.js';
import type { PipeDecision } from './negotiation/record.js';

/** Options of a {@link Graph}. */
export interface GraphOptions {
  /** AllocatorStrategy_* bits for negotiation (default MinimizeFrameSize | MinimizeNumberOfFrames). */
  readonly strategy?: number;
  /** Negotiation policy switches (enforceInputPinRanges, maxFrames). */
  readonly negotiation?: NegotiationOptions;
  /** Where the endpoints' internal filters run asynchronous work (default: a microtask). */
  readonly scheduler?: WorkScheduler;
  /** Clock and timers of the endpoints' pin queues (default: performance.now / setTimeout). */
  readonly timers?: Scheduler;
  /** Options for every default allocator the graph creates (debug canaries, shared memory, slab cap). */
  readonly defaultAllocator?: DefaultAllocatorOptions;
  /** Options for every user-memory allocator the graph creates (user-mode pipes). */
  readonly userAllocator?: Omit<UserMemoryAllocatorOptions, 'buffers'>;
  /**
   * Frames a requester queues in one turn before it stops and continues on `yieldScheduler` (default 4096; see
   * RequesterOptions.framesPerTurn): an endless kernel source feeding synchronous consumers cannot hang `run()`.
   */
  readonly framesPerTurn?: number;
  /**
   * Where a requester continues after its turn's quota (default: a macrotask, `setTimeout(task, 0)`, so timers and
   * I/O get the event loop between bursts). Tests inject a ManualWorkScheduler's `schedule`.
   */
  readonly yieldScheduler?: WorkScheduler;
  /**
   * Called once when the graph enters its error state (a filter's process routine threw while frames moved, see
   * {@link Graph.error} and docs/graph.md). The graph has already stopped streaming.
   */
  readonly onError?: (error: Error) => void;
  /**
   * Debug mode for splitter pipes: checksum every frame shared by read-only branches when it fans out and check it
   * each time a branch hands it back; a consumer that wrote into it (a driver bug: a shared pipe's consumers only
   * read) makes that release throw a StreamError (`invalidDeviceRequest`), and the graph enters its error state.
   * Default false. See docs/graph.md "Splitters".
   */
  readonly verifySharedFrames?: boolean;
}

/** Options of {@link Graph.addFilter}. */
export interface AddFilterOptions {
  /** The filter's id in decision records (unique in the graph, no `.`). Default `f<n>`. */
  readonly id?: string;
  /** The filter's context (passed to `createFilter` when the graph creates the instance). */
  readonly context?: unknown;
}

/**
 * One end of a connection: a pin type of a filter in the graph (`{ filter, pin: <pin id> }`: the graph creates the
 * pin instance with the intersected format), an existing pin instance (its format is used), or an endpoint.
 */
export type PinRef = Pin | { readonly filter: Filter; readonly pin: number } | EndpointLike;

/** Anything with the endpoint attachment surface (a {@link SourceEndpoint} or {@link SinkEndpoint}). */
export interface EndpointLike {
  /** @internal the endpoint's filter (a user-mode end) and its one pin type (id 0). */
  readonly _endpointFilter: Filter;
}

/** Options of {@link Graph.connect}. */
export interface ConnectOptions {
  /** Use this format instead of intersecting the pins' data ranges (both pins still check it). */
  readonly format?: KsDataFormat;
}

/** A connection made by {@link Graph.connect}: output pin → input pin with their common format. */
export interface GraphConnection {
  /** The output pin (frames leave here). */
  readonly output: Pin;
  /** The input pin (frames arrive here). */
  readonly input: Pin;
  /** The connection format (each pin's `connectionFormat`). */
  readonly format: KsDataFormat;
  /** True when one end is a user-mode endpoint (the connection is not kernel-mode). */
  readonly userMode: boolean;
}

/**
 * A pipe at run time (between STOP→ACQUIRE and →STOP): its decision, the allocator created for it and where the
 * requester sits.
 */
export interface GraphPipe {
  /** The pipe id of the decision record (`pipe<n>`). */
  readonly id: string;
  /** The negotiation decision for this pipe. */
  readonly decision: PipeDecision;
  /** The allocator created for it (vendor, default or user-memory), initialized with `decision.framing`. */
  readonly allocator: FrameAllocator;
  /** The pin the allocator sits at (the vendor's pin; the pin initialize received). */
  readonly allocatorPin: Pin;
  /** The pipe's source pin (its requester takes empty frames from the allocator). */
  readonly sourcePin: Pin;
  /** The requester at the source pin. */
  readonly requester: Requester;
  /** Every pin of the pipe, in pipe order (a splitter's delegate branch just before its consumer). */
  readonly pins: readonly Pin[];
  /**
   * The SPLITTER instances sharing this pipe's frames besides the delegate (KSPROCESSPIN.DelegateBranch): each of
   * their consumers sees the same bytes, no copy. Empty for other pipes.
   */
  readonly delegateBranches: readonly Pin[];
  /** The zero-copy fan-out of the splitter whose frames this pipe carries (counters, `inFlight`), or null. */
  readonly fanOut: SplitterFanOut | null;
}
