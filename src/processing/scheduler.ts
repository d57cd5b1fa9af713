/**
 * Where asynchronous processing runs (the work-item queue of `attemptProcessing({ async: true })`). It must never
 * call `task` synchronously. The default is `queueMicrotask`; tests inject a {@link ManualWorkScheduler}.
 */
export type WorkScheduler = (task: () => void) => void;

/** The default scheduler: a microtask. */
export const defaultWorkScheduler: WorkScheduler = (task) => queueMicrotask(task);

/**
 * A scheduler that only runs tasks when told to, for deterministic tests: `scheduler.schedule` is the
 * {@link WorkScheduler}; `runAll()` runs queued tasks (including ones queued meanwhile) and returns how many ran.
 */
export class ManualWorkScheduler {
  private readonly tasks: Array<() => void> = [];
  private head = 0;

  /** The {@link WorkScheduler} function to inject. */
  readonly schedule: WorkScheduler = (task) => {
    this.tasks.push(task);
  };

  /** Tasks waiting to run. */
  get pending(): number {
    return this.tasks.length - this.head;
  }

  /** Runs the oldest queued task; false when none is queued. */
  runOne(): boolean {
    if (this.head >= this.tasks.length) return false;
    const task = this.tasks[this.head]!;
    this.head++;
    if (this.head === this.tasks.length) {
      this.tasks.length = 0;
      this.head = 0;
    }
    task();
    return true;
  }

  /** Runs queued tasks until none is left; returns how many ran. Stops after `limit` tasks (a runaway guard). */
  runAll(limit = 1_000_000): number {
    let n = 0;
    while (n < limit && this.runOne()) n++;
    return n;
  }
}
