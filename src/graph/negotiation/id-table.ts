/**
 * The filter-id table of a negotiation being validated: open addressing over an Int32Array sized once for the
 * number of filters (a `Map` grows and rehashes its table several times while 10 000 ids are added, which cost about
 * as much as validating the filters). Lookups take a prefix of a string (the filter id of a `"filterId.pinId"`
 * reference) without cutting it out. An id whose probe sequence gets long (many ids hashing alike) goes to a `Map`
 * instead, so insertion and lookup stay O(1) whatever the ids. One table is kept between negotiations
 * ({@link IdTable.acquire} / {@link IdTable.release}); a negotiation started while it is in use (from a getter of a
 * description being validated) gets a table of its own.
 * @module
 */

/** The longest probe sequence before an id goes to the overflow map. */
const MAX_PROBES = 32;
/** The largest slot array kept for the next negotiation (256 KiB); a larger one lives for its negotiation only. */
const MAX_KEPT_SLOTS = 1 << 16;

/** @internal */
export class IdTable {
  private _slots = new Int32Array(64);
  private _mask = 63;
  /** The ids by index (entries 0 … _used − 1 are valid). */
  private readonly _ids: string[] = [];
  private _used = 0;
  private _overflow: Map<string, number> | null = null;
  private _inUse = false;

  private static _kept: IdTable | null = null;

  /** A table for at most `capacity` ids (indices 0 … capacity − 1, given in the order the ids are added). */
  static acquire(capacity: number): IdTable {
    let table = IdTable._kept;
    if (table === null || table._inUse) table = new IdTable();
    else IdTable._kept = null;
    table._reset(capacity);
    return table;
  }

  /** Gives the table back for the next negotiation (it keeps none of this negotiation's strings). */
  static release(table: IdTable): void {
    // The ids array keeps its length (no regrowth by the next negotiation); its entries are cleared.
    if (table._ids.length > MAX_KEPT_SLOTS) table._ids.length = 0;
    else table._ids.fill('', 0, table._used);
    table._used = 0;
    table._overflow = null;
    table._inUse = false;
    if (table._slots.length > MAX_KEPT_SLOTS) table._slots = new Int32Array(64);
    IdTable._kept = table;
  }

  private _reset(capacity: number): void {
    let size = 64;
    while (size < 2 * capacity) size *= 2;
    if (size > this._slots.length) this._slots = new Int32Array(size);
    this._slots.fill(-1, 0, size);
    this._mask = size - 1;
    this._used = 0;
    this._overflow = null;
    this._inUse = true;
  }

  /** Adds `id` with the next index; false when the id is already present. */
  add(id: string): boolean {
    const slots = this._slots;
    const ids = this._ids;
    let h = hashOf(id, id.length) & this._mask;
    for (let probe = 0; probe < MAX_PROBES; probe++) {
      const at = slots[h]!;
      if (at < 0) {
        // Slots are never emptied while the table is used: an id met nowhere before the first free slot is new (an
        // overflowed id's probe sequence is full, so its search never ends here).
        slots[h] = this._used;
        this._push(id);
        return true;
      }
      if (ids[at] === id) return false;
      h = (h + 1) & this._mask;
    }
    this._overflow ??= new Map();
    if (this._overflow.has(id)) return false;
    this._overflow.set(id, this._used);
    this._push(id);
    return true;
  }

  /** The index of the id equal to `text.slice(0, end)`, or −1. */
  indexOfPrefix(text: string, end: number): number {
    const slots = this._slots;
    const ids = this._ids;
    let h = hashOf(text, end) & this._mask;
    for (let probe = 0; probe < MAX_PROBES; probe++) {
      const at = slots[h]!;
      if (at < 0) return -1;
      const id = ids[at]!;
      if (id.length === end && text.startsWith(id)) return at;
      h = (h + 1) & this._mask;
    }
    return this._overflow?.get(text.slice(0, end)) ?? -1;
  }

  private _push(id: string): void {
    if (this._used < this._ids.length) this._ids[this._used] = id;
    else this._ids.push(id);
    this._used++;
  }
}

/** FNV-1a over the UTF-16 code units of `text` before `end`. */
function hashOf(text: string, end: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
