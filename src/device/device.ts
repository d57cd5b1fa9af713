import { argumentError, StateError } from '../errors.js';
import { type FilterDescriptor, validateFilterDescriptor } from '../filter/filter-descriptor.js';
import { FilterFactory } from '../filter/filter-factory.js';
import type { DispatchResult } from '../pin/pin-descriptor.js';
import { defaultWorkScheduler, type WorkScheduler } from '../processing/scheduler.js';
import { Status, type StatusCode, statusName } from '../status.js';
import { checkScheduler, type Scheduler } from '../stream/scheduler.js';

/** KSDEVICE_DISPATCH, the members a JS device uses (all optional). */
export interface DeviceDispatch {
  /** Add: the device object exists (AddDevice). */
  add?(device: Device): DispatchResult;
  /** Start: the device starts (IRP_MN_START_DEVICE); acquire resources, register DMA adapters here. */
  start?(device: Device): DispatchResult;
  /** Stop: the device stops. */
  stop?(device: Device): void;
  /** Remove: the device goes away. */
  remove?(device: Device): void;
}

/** KSDEVICE_DESCRIPTOR: the device's dispatch table and the filter descriptors it makes factories for. */
export interface DeviceDescriptor {
  /** Dispatch (null/absent = none). */
  readonly dispatch?: DeviceDispatch | null;
  /** FilterDescriptors: one filter factory is created for each. */
  readonly filterDescriptors: readonly FilterDescriptor[];
}

/** Options of a {@link Device}. */
export interface DeviceOptions {
  /** Where asynchronous processing runs (default: a microtask); filters inherit it. */
  readonly scheduler?: WorkScheduler;
  /** The clock and timers of the pins' queues (stream-pointer timeouts; default: performance.now/setTimeout). */
  readonly timers?: Scheduler;
}

function dispatchStatus(r: DispatchResult): StatusCode {
  return r === undefined ? Status.success : (r as StatusCode);
}

/**
 * KSDEVICE: the root object. Creating it calls Add and creates a {@link FilterFactory} per filter descriptor
 * (KsInitializeDevice); `start()` / `stop()` call the Start / Stop dispatch.
 */
export class Device {
  /** The device descriptor. */
  readonly descriptor: DeviceDescriptor;
  /** The scheduler filters of this device use. */
  readonly scheduler: WorkScheduler;
  /** The clock and timers pins' queues use, if one was given. */
  readonly timers: Scheduler | undefined;
  /** Context: the driver's to use. */
  context: unknown = null;
  /** True between a successful start() and stop(). */
  started = false;
  private readonly _factories: FilterFactory[] = [];

  /**
   * @throws TypeError for a bad descriptor; StateError with the Add status when Add fails
   */
  constructor(descriptor: DeviceDescriptor, options: DeviceOptions = {}) {
    if (descriptor === null || typeof descriptor !== 'object' || !Array.isArray(descriptor.filterDescriptors)) {
      throw argumentError('type', 'descriptor', descriptor, 'a KSDEVICE_DESCRIPTOR with filterDescriptors');
    }
    // Everything is checked before the Add dispatch runs: a bad descriptor never leaves a device added but not built.
    const dispatch = descriptor.dispatch;
    if (dispatch !== undefined && dispatch !== null) {
      if (typeof dispatch !== 'object') {
        throw argumentError('type', 'descriptor.dispatch', dispatch, 'a KSDEVICE_DISPATCH object or null');
      }
      for (const k of ['add', 'start', 'stop', 'remove'] as const) {
        const fn = dispatch[k];
        if (fn !== undefined && fn !== null && typeof fn !== 'function') {
          throw argumentError('type', `descriptor.dispatch.${k}`, fn, 'a function or undefined');
        }
      }
    }
    descriptor.filterDescriptors.forEach((fd, i) => {
      validateFilterDescriptor(fd, `descriptor.filterDescriptors[${i}]`);
    });
    if (options === null || typeof options !== 'object') {
      throw argumentError('type', 'options', options, 'a DeviceOptions object');
    }
    if (options.scheduler !== undefined && typeof options.scheduler !== 'function') {
      throw argumentError('type', 'options.scheduler', options.scheduler, 'a WorkScheduler function');
    }
    checkScheduler('options.timers', options.timers);
    this.descriptor = descriptor;
    this.scheduler = options.scheduler ?? defaultWorkScheduler;
    this.timers = options.timers;
    const status = dispatchStatus(descriptor.dispatch?.add?.(this));
    if (status !== Status.success)
      throw new StateError(`device: add status ${statusName(status)} is not allowed; expected success`, status);
    for (const fd of descriptor.filterDescriptors) this._factories.push(new FilterFactory(fd, {}, this));
  }

  /** The filter factories, one per filter descriptor (then any made with {@link createFilterFactory}). */
  get filterFactories(): readonly FilterFactory[] {
    return this._factories;
  }

  /** KsCreateFilterFactory: adds a factory at run time. */
  createFilterFactory(descriptor: FilterDescriptor): FilterFactory {
    const factory = new FilterFactory(descriptor, {}, this);
    this._factories.push(factory);
    return factory;
  }

  /**
   * Starts the device (Start dispatch).
   * @throws StateError with the Start status when it fails
   */
  start(): void {
    if (this.started) return;
    const status = dispatchStatus(this.descriptor.dispatch?.start?.(this));
    if (status !== Status.success)
      throw new StateError(`device: start status ${statusName(status)} is not allowed; expected success`, status);
    this.started = true;
  }

  /** Stops the device: closes every filter, then calls the Stop dispatch. */
  stop(): void {
    for (const f of this._factories) for (const filter of [...f.filters]) filter.close();
    if (this.started) this.descriptor.dispatch?.stop?.(this);
    this.started = false;
  }

  /** Removes the device: stop(), then the Remove dispatch. */
  remove(): void {
    this.stop();
    this.descriptor.dispatch?.remove?.(this);
  }
}
