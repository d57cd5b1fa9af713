/**
 * KSPIN_FLAG_* values (ks.h) for `PinDescriptorEx.flags` (spec §3.1).
 * Mutually exclusive pairs: criticalProcessing/hypercriticalProcessing, doNotInitiateProcessing/
 * initiateProcessingOnEveryArrival, framesNotRequiredForProcessing/someFramesRequiredForProcessing,
 * processInRunStateOnly/processIfAnyInRunState.
 */
export const PinFlags = {
  dispatchLevelProcessing: 0x1,
  criticalProcessing: 0x2,
  hypercriticalProcessing: 0x4,
  asynchronousProcessing: 0x8,
  doNotInitiateProcessing: 0x10,
  initiateProcessingOnEveryArrival: 0x20,
  framesNotRequiredForProcessing: 0x40,
  enforceFifo: 0x80,
  generateMappings: 0x100,
  distinctTrailingEdge: 0x200,
  processInRunStateOnly: 0x10000,
  splitter: 0x20000,
  useStandardTransport: 0x40000,
  doNotUseStandardTransport: 0x80000,
  fixedFormat: 0x100000,
  generateEosEvents: 0x200000,
  /** PROCESS_IN_RUN_STATE_ONLY | GENERATE_EOS_EVENTS */
  renderer: 0x210000,
  implementClock: 0x400000,
  someFramesRequiredForProcessing: 0x800000,
  processIfAnyInRunState: 0x1000000,
  denyUsermodeAccess: 0x80000000,
} as const;

/** Every defined KSPIN_FLAG_* bit. */
export const PIN_FLAGS_MASK = Object.values(PinFlags).reduce((a, b) => (a | b) >>> 0, 0);
