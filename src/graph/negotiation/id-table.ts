/**
 * The filter-id table of the negotiation being validated (module scratch: negotiation is synchronous): open addressing
 * over an Int32Array sized once for the number of filters and reused by the next negotiation (a `Map` grows and
 * rehashes its table several times while 10 000 ids are added, which cost about as much as validating the filters).
 * Lookups take a prefix of a string (the filter id of a `"filterId.pinId"` reference) without cutting it out. An id
 * whose probe sequence gets long (many ids hashing alike) goes to a `Map` instead, so insertion and lookup stay O(1)
 * whatever the ids.
 * @module
 */

/** The longest probe sequence before an id goes to the overflow map. */
const MAX_PROBES = 32;

/** The largest slot array kept for the next negotiation (256 KiB); a larger one is made for its negotiation only. */
const MAX_KEPT_SLOTS = 1 << 16;
let kept = new Int32Array(64);
let slots = kept;
let mask = 63;
/** The ids by index (entries 0 … used − 1 are valid). */
const ids: string[] = [];
let used = 0;
let overflow: Map<string, number> | null = null;

/** Starts a table for at most `capacity` ids (indices 0 … capacity − 1). @internal */
export function resetIdTable(capacity: number): void {
  let size = 64;
  while (size < 2 * capacity) size *= 2;
  if (size > kept.length) {
    slots = new Int32Array(size);
    if (size <= MAX_KEPT_SLOTS) kept = slots;
  } else slots = kept;
  slots.fill(-1, 0, size);
  mask = size - 1;
  used = 0;
  overflow = null;
}

/** Forgets the ids (the table keeps no string of a finished negotiation). @internal */
export function clearIdTable(): void {
  ids.length = 0;
  slots = kept;
  used = 0;
  overflow = null;
}

/** Adds `id` with the next index; false when the id is already present. @internal */
export function addId(id: string): boolean {
  let h = hashOf(id, id.length) & mask;
  for (let probe = 0; probe < MAX_PROBES; probe++) {
    const at = slots[h]!;
    if (at < 0) {
      // Slots are never emptied while the table is used: an id met nowhere before the first free slot is new (an
      // overflowed id's probe sequence is full, so its search never ends here).
      slots[h] = used;
      setId(id);
      return true;
    }
    if (ids[at] === id) return false;
    h = (h + 1) & mask;
  }
  overflow ??= new Map();
  if (overflow.has(id)) return false;
  overflow.set(id, used);
  setId(id);
  return true;
}

function setId(id: string): void {
  if (used < ids.length) ids[used] = id;
  else ids.push(id);
  used++;
}

/** The index of the id equal to `text.slice(0, end)`, or −1. @internal */
export function indexOfIdPrefix(text: string, end: number): number {
  let h = hashOf(text, end) & mask;
  for (let probe = 0; probe < MAX_PROBES; probe++) {
    const at = slots[h]!;
    if (at < 0) return -1;
    const id = ids[at]!;
    if (id.length === end && text.startsWith(id)) return at;
    h = (h + 1) & mask;
  }
  return overflow?.get(text.slice(0, end)) ?? -1;
}

/** FNV-1a over the UTF-16 code units of `text` before `end`. */
function hashOf(text: string, end: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
