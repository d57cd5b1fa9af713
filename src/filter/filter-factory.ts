import type { Device } from '../device/device.js';
import { argumentError, StateError } from '../errors.js';
import { defaultWorkScheduler, type WorkScheduler } from '../processing/scheduler.js';
import { Status, type StatusCode, statusName } from '../status.js';
import { checkScheduler, type Scheduler } from '../stream/scheduler.js';
import { Filter } from './filter.js';
import { type FilterDescriptor, validateFilterDescriptor } from './filter-descriptor.js';

/** Options of a {@link FilterFactory}. */
export interface FilterFactoryOptions {
  /** Where `attemptProcessing({ async: true })` work runs (default: a microtask). */
  readonly scheduler?: WorkScheduler;
  /** The clock and timers of the pins' queues (stream-pointer timeouts; default: performance.now/setTimeout). */
  readonly timers?: Scheduler;
}

/**
 * KSFILTERFACTORY: makes filter instances from one {@link FilterDescriptor} (validated once, shared by every
 * instance and never modified).
 */
export class FilterFactory {
  /** The device the factory belongs to, or null for a free-standing factory. */
  readonly device: Device | null;
  /** The filter descriptor. */
  readonly descriptor: FilterDescriptor;
  /** The scheduler filters of this factory use. */
  readonly scheduler: WorkScheduler;
  /** The clock and timers pins' queues use, if one was given. */
  readonly timers: Scheduler | undefined;
  private readonly _filters: Filter[] = [];

  /**
   * KsCreateFilterFactory.
   * @throws TypeError/RangeError for an invalid descriptor
   */
  constructor(descriptor: FilterDescriptor, options: FilterFactoryOptions = {}, device: Device | null = null) {
    this.descriptor = validateFilterDescriptor(descriptor);
    if (options === null || typeof options !== 'object') {
      throw argumentError('type', 'options', options, 'a FilterFactoryOptions object');
    }
    if (options.scheduler !== undefined && typeof options.scheduler !== 'function') {
      throw argumentError('type', 'options.scheduler', options.scheduler, 'a WorkScheduler function');
    }
    checkScheduler('options.timers', options.timers);
    this.scheduler = options.scheduler ?? device?.scheduler ?? defaultWorkScheduler;
    this.timers = options.timers ?? device?.timers;
    this.device = device;
  }

  /** The filter instances alive now, in creation order. */
  get filters(): readonly Filter[] {
    return this._filters;
  }

  /**
   * Creates a filter instance and calls the filter's Create dispatch.
   * @throws StateError with the Create status when it fails
   */
  createFilter(context: unknown = null): Filter {
    const filter = new Filter(this, this.descriptor, this.scheduler, this.timers);
    filter.context = context;
    const create = this.descriptor.dispatch?.create;
    if (create) {
      const status = (create(filter) as StatusCode | undefined) ?? Status.success;
      if (status !== Status.success) {
        throw new StateError(
          `filter: create status ${statusName(status)} is not allowed; expected success`,
          status === Status.pending ? Status.notSupported : status,
        );
      }
    }
    this._filters.push(filter);
    return filter;
  }

  /** @internal */
  _removeFilter(filter: Filter): void {
    const i = this._filters.indexOf(filter);
    if (i >= 0) this._filters.splice(i, 1);
  }
}
