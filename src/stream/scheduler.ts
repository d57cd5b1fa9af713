import { argumentError } from '../errors.js';

/** An opaque timer handle returned by {@link Scheduler.setTimer}. */
export type TimerHandle = unknown;

/**
 * The clock and timer service behind stream-pointer timeouts (KsStreamPointerScheduleTimeout). Times are in 100 ns
 * units (KS time), as numbers (exact to 2^53 ≈ 28 years).
 */
export interface Scheduler {
  /** The current time in 100 ns units (monotonic). */
  now(): number;
  /** Calls `callback` once after `delay` (100 ns units, ≥ 0). Returns a handle for {@link clearTimer}. */
  setTimer(delay: number, callback: () => void): TimerHandle;
  /** Cancels a timer; no-op when it already fired or was cleared. */
  clearTimer(handle: TimerHandle): void;
}

/**
 * @internal Checks an optional {@link Scheduler} option (an object with `now`, `setTimer` and `clearTimer`).
 * @throws TypeError naming `name`
 */
export function checkScheduler(name: string, value: unknown): void {
  if (value === undefined) return;
  const s = value as Partial<Scheduler> | null;
  if (
    s === null ||
    typeof s !== 'object' ||
    typeof s.now !== 'function' ||
    typeof s.setTimer !== 'function' ||
    typeof s.clearTimer !== 'function'
  ) {
    throw argumentError('type', name, value, 'a Scheduler { now, setTimer, clearTimer } or undefined');
  }
}

/** 100 ns units per millisecond. */
export const TICKS_PER_MILLISECOND = 10_000;

/**
 * The default scheduler: `performance.now()` for the clock and `setTimeout` for timers (millisecond resolution;
 * delays are rounded up to whole milliseconds).
 */
export const defaultScheduler: Scheduler = {
  now(): number {
    return Math.floor(performance.now() * TICKS_PER_MILLISECOND);
  },
  setTimer(delay: number, callback: () => void): TimerHandle {
    return setTimeout(callback, Math.ceil(delay / TICKS_PER_MILLISECOND));
  },
  clearTimer(handle: TimerHandle): void {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

interface ManualTimer {
  due: number;
  seq: number;
  callback: (() => void) | null;
}

/**
 * A deterministic scheduler for tests and simulations: time moves only by {@link advance} / {@link advanceTo};
 * due timers fire in order of due time, then of scheduling.
 */
export class ManualScheduler implements Scheduler {
  #now: number;
  #seq = 0;
  #timers: ManualTimer[] = [];

  /** @param start - the initial time (100 ns units) */
  constructor(start = 0) {
    if (!Number.isSafeInteger(start) || start < 0) throw argumentError('range', 'start', start, 'a safe integer ≥ 0');
    this.#now = start;
  }

  /** The current time (100 ns units). */
  now(): number {
    return this.#now;
  }

  /** Timers scheduled and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** The due time of the next timer, or null. */
  get nextDue(): number | null {
    return this.#timers[0]?.due ?? null;
  }

  /** Scheduler.setTimer: fires `callback` once the manual clock reaches now + `delay`. */
  setTimer(delay: number, callback: () => void): TimerHandle {
    if (typeof delay !== 'number' || !(delay >= 0)) throw argumentError('range', 'delay', delay, 'a number ≥ 0');
    const timer: ManualTimer = { due: this.#now + delay, seq: this.#seq++, callback };
    const timers = this.#timers;
    let i = timers.length;
    while (i > 0) {
      const prev = timers[i - 1]!;
      if (prev.due <= timer.due) break;
      i--;
    }
    timers.splice(i, 0, timer);
    return timer;
  }

  /** Scheduler.clearTimer: the timer never fires; no-op when it already fired or was cleared. */
  clearTimer(handle: TimerHandle): void {
    const i = this.#timers.indexOf(handle as ManualTimer);
    if (i >= 0) {
      this.#timers.splice(i, 1);
      (handle as ManualTimer).callback = null;
    }
  }

  /**
   * Moves time forward by `ticks` (100 ns units), firing every timer that falls due, in order, with `now()` equal to
   * its due time while it runs. Timers scheduled by callbacks fire too if they fall due within the window.
   * @returns the number of timers fired
   */
  advance(ticks: number): number {
    if (typeof ticks !== 'number' || !(ticks >= 0)) throw argumentError('range', 'ticks', ticks, 'a number ≥ 0');
    return this.advanceTo(this.#now + ticks);
  }

  /** Moves time forward to `time`, firing due timers (see {@link advance}). */
  advanceTo(time: number): number {
    if (typeof time !== 'number' || !(time >= this.#now)) {
      throw argumentError('range', 'time', time, `a number ≥ now (${this.#now})`);
    }
    let fired = 0;
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.due > time) break;
      this.#timers.shift();
      this.#now = next.due;
      const cb = next.callback;
      next.callback = null;
      fired++;
      cb?.();
    }
    this.#now = time;
    return fired;
  }

  /** Fires every pending timer (including ones scheduled meanwhile), moving time to each due time. */
  runAll(limit = 100_000): number {
    let fired = 0;
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined) return fired;
      if (fired >= limit)
        throw new RangeError(`runAll: more than ${limit} timers fired; expected the timers to settle`);
      fired += this.advanceTo(next.due);
    }
  }
}
