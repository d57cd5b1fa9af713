import { argumentError } from '../errors.js';
import type { Frame } from './frame.js';

/** One outstanding frame as a {@link FrameLedger} sees it. */
export interface FrameHoldRecord {
  /** The frame (a weak reference: undefined once collected, before the leak is reported). */
  readonly frame: Frame | undefined;
  /** Who took the frame (the label given to {@link FrameLedger.track}). */
  readonly holder: string;
  /** The stack where it was taken (with `captureStacks`), else undefined. */
  readonly stack: string | undefined;
  /** Where the frame sits now: the host (pin) of the queue holding it, or null when it is in no queue. */
  readonly queueHost: unknown;
}

/** A tracked frame that was garbage-collected without being released (or untracked). */
export interface FrameLeak {
  /** Who took the frame. */
  readonly holder: string;
  /** The stack where it was taken (with `captureStacks`), else undefined. */
  readonly stack: string | undefined;
}

/** Options of a {@link FrameLedger}. */
export interface FrameLedgerOptions {
  /** Called for each tracked frame collected unreleased (from a FinalizationRegistry callback). */
  readonly onLeak?: (leak: FrameLeak) => void;
  /** Record `new Error().stack` at each {@link FrameLedger.track} (costly: debugging only). Default false. */
  readonly captureStacks?: boolean;
}

interface Entry {
  readonly ref: WeakRef<Frame>;
  holder: string;
  stack: string | undefined;
}

/**
 * The debug mode of frame lifetimes (design: "Lifetimes"): records the holder of every outstanding frame and reports
 * frames that were garbage-collected without being released. Frames are held weakly, so the ledger itself never keeps
 * a leaked frame alive. Nothing is tracked — and nothing costs — unless a ledger is given (e.g.
 * `setPipeSource(pin, allocator, { ledger })`) or {@link track} is called.
 *
 * A frame leaves the ledger when it is released ({@link Frame.release}) or {@link untrack}ed (a requester untracks the
 * frames that come back to it).
 */
export class FrameLedger {
  /** Every leak reported so far (also passed to `onLeak`). */
  readonly leaks: FrameLeak[] = [];
  private readonly entries = new Map<number, Entry>();
  private readonly ids = new WeakMap<Frame, number>();
  private readonly registry: FinalizationRegistry<number>;
  private readonly onLeak: ((leak: FrameLeak) => void) | null;
  private readonly captureStacks: boolean;
  private nextId = 1;

  constructor(options: FrameLedgerOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw argumentError('type', 'options', options, 'a FrameLedgerOptions object');
    }
    const { onLeak, captureStacks = false } = options;
    if (onLeak !== undefined && typeof onLeak !== 'function') {
      throw argumentError('type', 'options.onLeak', onLeak, 'a function');
    }
    if (typeof captureStacks !== 'boolean') {
      throw argumentError('type', 'options.captureStacks', captureStacks, 'a boolean');
    }
    this.onLeak = onLeak ?? null;
    this.captureStacks = captureStacks;
    this.registry = new FinalizationRegistry((id) => this._collected(id));
  }

  /** Frames tracked and not yet released, untracked or collected. */
  get size(): number {
    return this.entries.size;
  }

  /** Records that `holder` took `frame` (replacing an earlier holder of the same frame). */
  track(frame: Frame, holder: string): void {
    if (frame === null || typeof frame !== 'object') throw argumentError('type', 'frame', frame, 'a Frame');
    const stack = this.captureStacks ? new Error('frame taken').stack : undefined;
    const id = this.ids.get(frame);
    const known = id === undefined ? undefined : this.entries.get(id);
    if (known !== undefined) {
      known.holder = holder;
      known.stack = stack;
      return;
    }
    const newId = this.nextId++;
    this.ids.set(frame, newId);
    this.entries.set(newId, { ref: new WeakRef(frame), holder, stack });
    this.registry.register(frame, newId, frame);
    frame._ledger = this;
  }

  /** Forgets `frame` (it was given back); no-op when it is not tracked. */
  untrack(frame: Frame): void {
    const id = this.ids.get(frame);
    if (id === undefined) return;
    this.ids.delete(frame);
    this.entries.delete(id);
    this.registry.unregister(frame);
    if (frame._ledger === this) frame._ledger = null;
  }

  /** The outstanding frames with their holders (oldest first). */
  outstanding(): FrameHoldRecord[] {
    const out: FrameHoldRecord[] = [];
    for (const e of this.entries.values()) {
      const frame = e.ref.deref();
      const queue = frame?._queue as { host?: unknown } | null | undefined;
      out.push({ frame, holder: e.holder, stack: e.stack, queueHost: queue?.host ?? null });
    }
    return out;
  }

  /** @internal FinalizationRegistry callback: a tracked frame was collected unreleased. */
  _collected(id: number): void {
    const e = this.entries.get(id);
    if (e === undefined) return;
    this.entries.delete(id);
    const leak: FrameLeak = { holder: e.holder, stack: e.stack };
    this.leaks.push(leak);
    this.onLeak?.(leak);
  }
}
