import { StreamError } from '../../errors.js';
import { Status } from '../../status.js';
import type { Frame } from '../../stream/frame.js';
import { StreamHeaderOptionsFlags } from '../../stream/stream-header-flags.js';

const EOS = StreamHeaderOptionsFlags.endOfStream;

/** @internal what a {@link SinkFrame} reports its release to. */
export interface SinkFrameOwner {
  _release(item: SinkFrame): void;
}

/**
 * One frame read from a {@link SinkEndpoint}: a view of the pipe's user-memory frame (no copy) and its stream-header
 * fields. The frame stays out of its pipe until released — **release it** (`release()`, `using`, or let the
 * `for await` loop release it when it asks for the next frame). Holding frames is back-pressure: the producer stalls
 * once every frame of the pipe is held.
 *
 * The object is reused for the same pipe frame on its next pass (no allocation per frame): after `release()` its
 * `data` throws; keep bytes beyond the release with {@link copy}.
 */
export class SinkFrame implements Disposable {
  /** DataUsed: bytes of valid data. */
  dataUsed = 0;
  /** KSSTREAM_HEADER_OPTIONSF_* bits. */
  optionsFlags = 0;
  /** TypeSpecificFlags. */
  typeSpecificFlags = 0;
  /** PresentationTime (valid with OPTIONSF_TIMEVALID). */
  readonly presentationTime = { time: 0, numerator: 1, denominator: 1 };
  /** Duration in 100 ns units (valid with OPTIONSF_DURATIONVALID). */
  duration = 0;
  /** Delivery sequence number (0 = the first frame the sink delivered). */
  sequence = 0;
  /** @internal kept past the next iteration of `for await`. */
  _retained = false;
  /** @internal */
  _released = true;
  /** @internal the pipe frame it views. */
  readonly _frame: Frame;
  private readonly _owner: SinkFrameOwner;
  private _view: Uint8Array | null = null;

  /** @internal */
  constructor(owner: SinkFrameOwner, frame: Frame) {
    this._owner = owner;
    this._frame = frame;
  }

  /** @internal fills the fields from the frame's header (delivery). */
  _deliver(sequence: number): this {
    const h = this._frame.header;
    this.dataUsed = h.dataUsed;
    this.optionsFlags = h.optionsFlags;
    this.typeSpecificFlags = h.typeSpecificFlags;
    this.presentationTime.time = h.presentationTime.time;
    this.presentationTime.numerator = h.presentationTime.numerator;
    this.presentationTime.denominator = h.presentationTime.denominator;
    this.duration = h.duration;
    this.sequence = sequence;
    this._released = false;
    this._retained = false;
    return this;
  }

  /**
   * The frame's valid bytes: a view of the pipe's user memory (`dataUsed` bytes). Reused while the size stays the
   * same (no allocation per frame).
   * @throws StreamError `invalidDeviceState` after release
   */
  get data(): Uint8Array {
    if (this._released) {
      throw new StreamError(
        `sink frame ${this.sequence}: data after release is not allowed; expected an unreleased frame (use copy())`,
        Status.invalidDeviceState,
      );
    }
    const bytes = this._frame.data!;
    const v = this._view;
    if (
      v !== null &&
      v.buffer === bytes.buffer &&
      v.byteOffset === bytes.byteOffset &&
      v.byteLength === this.dataUsed
    ) {
      return v;
    }
    this._view = bytes.subarray(0, this.dataUsed);
    return this._view;
  }

  /** KSSTREAM_HEADER_OPTIONSF_ENDOFSTREAM is set: the last frame of the stream. */
  get endOfStream(): boolean {
    return (this.optionsFlags & EOS) !== 0;
  }

  /** True once released (its frame went back to its pipe). */
  get released(): boolean {
    return this._released;
  }

  /** Keeps the frame past the next iteration of a `for await` loop (then `release()` it yourself). */
  retain(): this {
    this._retained = true;
    return this;
  }

  /** A copy of the valid bytes (a new Uint8Array the caller owns). */
  copy(): Uint8Array {
    return this.data.slice();
  }

  /** Hands the frame back to its pipe (the producer may reuse it). A second call is a no-op. */
  release(): void {
    if (this._released) return;
    this._released = true;
    this._owner._release(this);
  }

  /** `using frame = …`: release. */
  [Symbol.dispose](): void {
    this.release();
  }
}
