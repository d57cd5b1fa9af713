import type { SinkEndpoint } from '../graph/endpoints/sink-endpoint.js';
import type { SinkFrame } from '../graph/endpoints/sink-frame.js';

/**
 * @internal Byte-level reading of a {@link SinkEndpoint} shared by the stream adapters: copies frame bytes into
 * caller-supplied memory without waiting, keeps a partly copied frame (held by the sink until its last byte is out),
 * and waits for the next frame only when nothing is queued. Zero-length frames carry no bytes and are released.
 */
export class SinkCursor {
  /** The sink read from. */
  readonly sink: SinkEndpoint;
  /** The frame being copied out (held), or null. */
  private _current: SinkFrame | null = null;
  /** Bytes of `_current` already copied out. */
  private _offset = 0;
  private _cancelled = false;

  constructor(sink: SinkEndpoint) {
    this.sink = sink;
  }

  /** True once every byte was copied out and the sink delivered its end of stream (or the cursor was cancelled). */
  get done(): boolean {
    return this._cancelled || (this._current === null && this.sink.ended);
  }

  /** True after {@link cancel}. */
  get cancelled(): boolean {
    return this._cancelled;
  }

  /**
   * Copies queued bytes into `view` (as much as is queued now and fits); frames emptied are released.
   * @returns the bytes copied (0 when nothing is queued)
   * @throws the source's abort reason (from the sink)
   */
  fill(view: Uint8Array): number {
    let n = 0;
    const room = view.byteLength;
    while (n < room) {
      let frame = this._current;
      if (frame === null) {
        if (this._cancelled) break;
        frame = this.sink.tryRead();
        if (frame === null) break;
        this._current = frame;
        this._offset = 0;
      } else if (frame.released) {
        // the graph stopped and took its frames back: the rest of this frame is gone
        this._current = null;
        continue;
      }
      const data = frame.data;
      const k = Math.min(data.byteLength - this._offset, room - n);
      if (k > 0) {
        view.set(k === data.byteLength ? data : data.subarray(this._offset, this._offset + k), n);
        n += k;
        this._offset += k;
      }
      if (this._offset >= data.byteLength) this.releaseCurrent();
    }
    return n;
  }

  /**
   * The remaining bytes of the next non-empty queued frame as a new buffer (one copy per frame), its frame released;
   * null when none is queued now.
   * @throws the source's abort reason (from the sink)
   */
  takeCopy(): Uint8Array<ArrayBuffer> | null {
    for (;;) {
      let frame = this._current;
      if (frame === null) {
        if (this._cancelled) return null;
        frame = this.sink.tryRead();
        if (frame === null) return null;
        this._current = frame;
        this._offset = 0;
      } else if (frame.released) {
        this._current = null;
        continue;
      }
      const data = frame.data;
      // a new ArrayBuffer (never the pipe's memory, which may be a SharedArrayBuffer): a byte stream transfers it
      const bytes =
        this._offset < data.byteLength ? new Uint8Array(this._offset === 0 ? data : data.subarray(this._offset)) : null;
      this.releaseCurrent();
      if (bytes !== null) return bytes;
    }
  }

  /**
   * Waits until a frame is queued (it becomes the current frame) or the stream ended.
   * @returns true when a frame is ready, false at the end of stream or after cancel
   * @throws (rejects) the source's abort reason
   */
  async next(): Promise<boolean> {
    if (this._current !== null) return true;
    if (this._cancelled) return false;
    const r = await this.sink.read();
    if (r.done) return false;
    if (this._cancelled) {
      r.value.release();
      return false;
    }
    this._current = r.value;
    this._offset = 0;
    return true;
  }

  /** Stops reading: the held frame is released and the sink cancelled (it lets every later frame through). */
  cancel(reason?: unknown): void {
    if (this._cancelled) return;
    this._cancelled = true;
    this.releaseCurrent();
    this.sink.cancel(reason);
  }

  private releaseCurrent(): void {
    const frame = this._current;
    this._current = null;
    this._offset = 0;
    frame?.release();
  }
}
