/**
 * KSSTATE: the streaming states (spec §3.4). Transitions are one step at a time for standard-transport pins.
 */
export const KsState = {
  /** KSSTATE_STOP: minimum resources, no pipe. */
  stop: 0,
  /** KSSTATE_ACQUIRE: pipes and allocators created. */
  acquire: 1,
  /** KSSTATE_PAUSE: ready to run instantly; the default minimum processing state. */
  pause: 2,
  /** KSSTATE_RUN: streaming. */
  run: 3,
} as const;

/** A KSSTATE value. */
export type KsStateValue = (typeof KsState)[keyof typeof KsState];

/** KSRESET: IOCTL_KS_RESET_STATE arguments. */
export const KsReset = {
  /** KSRESET_BEGIN: cancel queued I/O, reject new I/O until END. */
  begin: 0,
  /** KSRESET_END */
  end: 1,
} as const;

/** A KSRESET value. */
export type KsResetValue = (typeof KsReset)[keyof typeof KsReset];

const stateNames = ['stop', 'acquire', 'pause', 'run'] as const;

/** The name of a KSSTATE value (`'stop'`, `'acquire'`, `'pause'`, `'run'`). */
export function ksStateName(state: KsStateValue): (typeof stateNames)[number] {
  return stateNames[state];
}
