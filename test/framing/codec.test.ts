import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FramingError } from '../../src/errors.js';
import {
  decodeFraming,
  decodeFramingEx,
  encodeFraming,
  encodeFramingEx,
  encodeFramingExInto,
  FRAMING_EX_HEADER_SIZE,
  FRAMING_ITEM_SIZE,
  FRAMING_SIZE,
  FramingItemOffset,
  framingExByteLength,
} from '../../src/framing/codec.js';
import { BusType, MAX_FRAMING_ITEMS, MemoryType, PAGE_SIZE } from '../../src/framing/constants.js';
import { simpleFraming } from '../../src/framing/simple-framing.js';
import type { AllocatorFraming } from '../../src/framing/types.js';
import { Status } from '../../src/status.js';
import { validFraming, validFramingEx } from './arbitraries.js';

const hex = (s: string) =>
  Uint8Array.from(
    s
      .replace(/\s+/g, '')
      .match(/../g)!
      .map((b) => Number.parseInt(b, 16)),
  );
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const avshws = () => simpleFraming(MemoryType.kernelNonPaged, 0x80000002, 2, 0, 2 * PAGE_SIZE, 2 * PAGE_SIZE);

// Hand-computed wire form of avshws' DECLARE_SIMPLE_FRAMING_EX (112 bytes).
const AVSHWS_BYTES = hex(`
  01000000 00000000 01000000 01000000 00000000 00000000
  c45f6d4a 9578d111 b06900a0 c9062802
  00000000 00000000 00000000 00000000
  00000000 00000000 02000080 02000000 00000000 00000000
  00000000 ffffffff 01000000
  00200000 00200000 01000000 00000000 00000000
`);

function throwsField(fn: () => unknown, field: string, value?: unknown): FramingError {
  let err: FramingError | undefined;
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FramingError, `expected a FramingError, got ${String(e)}`);
    assert.equal(e.field, field);
    if (value !== undefined) assert.equal(e.value, value);
    err = e;
    return true;
  });
  return err!;
}

describe('framing codec: sizes', () => {
  it('header 24, item 88, legacy 24; framingExByteLength = 24 + 88·n', () => {
    assert.equal(FRAMING_EX_HEADER_SIZE, 24);
    assert.equal(FRAMING_ITEM_SIZE, 88);
    assert.equal(FRAMING_SIZE, 24);
    assert.equal(framingExByteLength(1), 112);
    assert.equal(framingExByteLength(3), 288);
    assert.equal(framingExByteLength(MAX_FRAMING_ITEMS), 24 + 88 * MAX_FRAMING_ITEMS);
    for (const bad of [0, -1, 1.5, MAX_FRAMING_ITEMS + 1, Number.NaN]) {
      assert.throws(() => framingExByteLength(bad), { name: 'RangeError', message: /^countItems: / });
    }
  });
  it('item field offsets follow ks.h (spec §2)', () => {
    assert.deepEqual(FramingItemOffset, {
      memoryType: 0,
      busType: 16,
      memoryFlags: 32,
      busFlags: 36,
      flags: 40,
      frames: 44,
      fileAlignment: 48,
      memoryTypeWeight: 52,
      physicalRange: 56,
      framingRange: 68,
      inPlaceWeight: 80,
      notInPlaceWeight: 84,
    });
  });
});

describe('encodeFramingEx / decodeFramingEx', () => {
  it("encodes avshws' simple framing to the hand-computed bytes", () => {
    const bytes = encodeFramingEx(avshws());
    assert.equal(bytes.byteLength, 112);
    assert.equal(toHex(bytes), toHex(AVSHWS_BYTES));
    // GUID KSMEMORY_TYPE_KERNEL_NONPAGED in Windows byte order at item offset 0 (byte 24).
    assert.equal(toHex(bytes.subarray(24, 40)), 'c45f6d4a9578d111b06900a0c9062802');
    assert.deepEqual(decodeFramingEx(AVSHWS_BYTES), avshws());
  });

  it('puts every field of a second item at 24 + 88 + offset', () => {
    const x = avshws();
    x.pinFlags = 0x11223344;
    x.outputCompression = { ratioNumerator: 3, ratioDenominator: 4, ratioConstantMargin: 0x100 };
    x.pinWeight = 5;
    x.items.push({
      memoryType: MemoryType.kernelPaged,
      busType: BusType.usb,
      memoryFlags: 0x8,
      busFlags: 0xaabbccdd,
      flags: 0x1040,
      frames: 9,
      fileAlignment: 0x3f,
      memoryTypeWeight: 0x01020304,
      physicalRange: { minFrameSize: 16, maxFrameSize: 65536, stepping: 16 },
      framingRange: {
        range: { minFrameSize: 4096, maxFrameSize: 8192, stepping: 4096 },
        inPlaceWeight: 7,
        notInPlaceWeight: 8,
      },
    });
    const b = encodeFramingEx(x);
    assert.equal(b.byteLength, 200);
    const at = (o: number, n: number) => toHex(b.subarray(o, o + n));
    assert.equal(at(0, 4), '02000000'); // CountItems = items.length
    assert.equal(at(4, 4), '44332211');
    assert.equal(at(8, 12), '030000000400000000010000');
    assert.equal(at(20, 4), '05000000');
    const i1 = 24 + 88;
    assert.equal(at(i1 + 0, 16), 'f8f833d89478d111b06900a0c9062802'); // KSMEMORY_TYPE_KERNEL_PAGED
    assert.equal(at(i1 + 16, 16), 'bceb7d9d5dc8d1119eb4006008c3a19a'); // GUID_BUS_TYPE_USB
    assert.equal(at(i1 + 32, 4), '08000000');
    assert.equal(at(i1 + 36, 4), 'ddccbbaa');
    assert.equal(at(i1 + 40, 4), '40100000');
    assert.equal(at(i1 + 44, 4), '09000000');
    assert.equal(at(i1 + 48, 4), '3f000000');
    assert.equal(at(i1 + 52, 4), '04030201');
    assert.equal(at(i1 + 56, 12), '100000000000010010000000');
    assert.equal(at(i1 + 68, 12), '001000000020000000100000');
    assert.equal(at(i1 + 80, 8), '0700000008000000');
    assert.deepEqual(decodeFramingEx(b), x);
  });

  it('property: decode(encode(x)) deep-equals x for random valid framings (random GUIDs)', () => {
    fc.assert(
      fc.property(validFramingEx(4), (x) => {
        const bytes = encodeFramingEx(x);
        assert.equal(bytes.byteLength, framingExByteLength(x.items.length));
        assert.deepEqual(decodeFramingEx(bytes), x);
      }),
      { numRuns: 200 },
    );
  });

  it('truncated: fewer than 24 bytes fails naming byteLength (STATUS_BUFFER_TOO_SMALL)', () => {
    for (const n of [0, 1, 23]) {
      const e = throwsField(() => decodeFramingEx(AVSHWS_BYTES.subarray(0, n)), 'byteLength', n);
      assert.equal(e.status, Status.bufferTooSmall);
      assert.match(e.message, /at least 24 bytes/);
    }
  });

  it('truncated: fewer than 24 + 88·CountItems bytes fails naming byteLength', () => {
    for (const n of [24, 111]) {
      const e = throwsField(() => decodeFramingEx(AVSHWS_BYTES.subarray(0, n)), 'byteLength', n);
      assert.match(e.allowed, /exactly 112 bytes.*truncated/);
    }
    const two = encodeFramingEx({ ...avshws(), items: [...avshws().items, ...avshws().items] });
    throwsField(() => decodeFramingEx(two.subarray(0, 112)), 'byteLength', 112);
  });

  it('oversize: more than 24 + 88·CountItems bytes fails naming byteLength', () => {
    const big = new Uint8Array(113);
    big.set(AVSHWS_BYTES);
    const e = throwsField(() => decodeFramingEx(big), 'byteLength', 113);
    assert.match(e.allowed, /exactly 112 bytes.*oversize/);
    assert.equal(e.status, Status.invalidParameter);
  });

  it('inconsistent: CountItems 0 fails naming countItems', () => {
    const b = AVSHWS_BYTES.slice(0, 24);
    b[0] = 0;
    throwsField(() => decodeFramingEx(b), 'countItems', 0);
    const c = AVSHWS_BYTES.slice();
    c[0] = 0;
    throwsField(() => decodeFramingEx(c), 'countItems', 0);
  });

  it('inconsistent: a CountItems too large fails naming countItems before anything is allocated', () => {
    const b = AVSHWS_BYTES.slice();
    new DataView(b.buffer).setUint32(0, 0xffffffff, true);
    throwsField(() => decodeFramingEx(b), 'countItems', 0xffffffff);
    new DataView(b.buffer).setUint32(0, MAX_FRAMING_ITEMS + 1, true);
    throwsField(() => decodeFramingEx(b), 'countItems', MAX_FRAMING_ITEMS + 1);
  });

  it('decodes from a view with a byteOffset (a subarray of a larger buffer)', () => {
    const big = new Uint8Array(300);
    big.set(AVSHWS_BYTES, 50);
    assert.deepEqual(decodeFramingEx(big.subarray(50, 162)), avshws());
  });

  it('decision: decode validates (structural + validateFramingEx); { validate: false } skips the semantic rules', () => {
    const b = AVSHWS_BYTES.slice();
    const v = new DataView(b.buffer);
    v.setUint32(24 + FramingItemOffset.framingRange, 9000, true); // min 9000 > max 8192
    throwsField(() => decodeFramingEx(b), 'items[0].framingRange.range.minFrameSize', 9000);
    assert.equal(decodeFramingEx(b, { validate: false }).items[0]?.framingRange.range.minFrameSize, 9000);
    v.setUint32(24 + FramingItemOffset.flags, 0x00010000, true); // unknown flag bit
    throwsField(() => decodeFramingEx(b), 'items[0].flags', 0x10000);
    v.setUint32(12, 0, true); // denominator 0
    throwsField(() => decodeFramingEx(b), 'outputCompression.ratioDenominator', 0);
  });

  it('encode validates too; { validate: false } still requires the wire shape (ULONGs, GUIDs, 1..64 items)', () => {
    const x = avshws();
    x.items[0]!.fileAlignment = 6;
    throwsField(() => encodeFramingEx(x), 'items[0].fileAlignment', 6);
    const bytes = encodeFramingEx(x, { validate: false });
    assert.equal(decodeFramingEx(bytes, { validate: false }).items[0]?.fileAlignment, 6);
    throwsField(() => decodeFramingEx(bytes), 'items[0].fileAlignment', 6);
    x.items[0]!.frames = -1;
    throwsField(() => encodeFramingEx(x, { validate: false }), 'items[0].frames', -1);
    throwsField(() => encodeFramingEx({ ...avshws(), items: [] }, { validate: false }), 'items', 0);
  });

  it('encodeFramingExInto writes at an offset and refuses a short target without writing', () => {
    const target = new Uint8Array(130).fill(0xee);
    assert.equal(encodeFramingExInto(avshws(), target, 10), 112);
    assert.equal(toHex(target.subarray(10, 122)), toHex(AVSHWS_BYTES));
    assert.equal(target[9], 0xee);
    assert.equal(target[122], 0xee);
    const short = new Uint8Array(111).fill(0xee);
    assert.throws(() => encodeFramingExInto(avshws(), short), { name: 'RangeError', message: /^target: .*112 bytes/ });
    assert.ok(short.every((b) => b === 0xee));
    assert.throws(() => encodeFramingExInto(avshws(), target, 19), { name: 'RangeError', message: /^offset: 19/ });
    assert.throws(() => encodeFramingExInto(avshws(), target, -1), { name: 'RangeError', message: /^offset: -1/ });
  });

  it('rejects a bytes argument that is not a Uint8Array with a TypeError', () => {
    assert.throws(() => decodeFramingEx([1, 2, 3] as unknown as Uint8Array), {
      name: 'TypeError',
      message: /^bytes: /,
    });
    assert.throws(() => decodeFramingEx(AVSHWS_BYTES.buffer as unknown as Uint8Array), TypeError);
    assert.throws(() => decodeFraming(new DataView(new ArrayBuffer(24)) as unknown as Uint8Array), TypeError);
    assert.deepEqual(decodeFramingEx(Buffer.from(AVSHWS_BYTES)), avshws());
  });
});

describe('encodeFraming / decodeFraming (legacy KSALLOCATOR_FRAMING, 24 bytes)', () => {
  const legacy: AllocatorFraming = {
    optionsFlags: 0x80000002,
    poolType: 512,
    frames: 3,
    frameSize: 0x12345,
    fileAlignment: 0x1ff,
    reserved: 0xdeadbeef,
  };

  it('encodes to the hand-computed bytes: OptionsFlags, PoolType, Frames, FrameSize, FileAlignment, Reserved', () => {
    assert.equal(
      toHex(encodeFraming(legacy)),
      '02000080' + '00020000' + '03000000' + '45230100' + 'ff010000' + 'efbeadde',
    );
    assert.deepEqual(decodeFraming(encodeFraming(legacy)), legacy);
  });

  it('property: decode(encode(x)) deep-equals x', () => {
    fc.assert(
      fc.property(validFraming, (x) => {
        const bytes = encodeFraming(x);
        assert.equal(bytes.byteLength, 24);
        assert.deepEqual(decodeFraming(bytes), x);
      }),
      { numRuns: 200 },
    );
  });

  it('a buffer that is not exactly 24 bytes fails naming byteLength', () => {
    const b = encodeFraming(legacy);
    const e = throwsField(() => decodeFraming(b.subarray(0, 23)), 'byteLength', 23);
    assert.equal(e.status, Status.bufferTooSmall);
    const big = new Uint8Array(25);
    big.set(b);
    throwsField(() => decodeFraming(big), 'byteLength', 25);
  });

  it('decode validates unless { validate: false }; encode likewise', () => {
    const bad = { ...legacy, optionsFlags: 0x100 };
    throwsField(() => encodeFraming(bad), 'optionsFlags', 0x100);
    const bytes = encodeFraming(bad, { validate: false });
    throwsField(() => decodeFraming(bytes), 'optionsFlags', 0x100);
    assert.deepEqual(decodeFraming(bytes, { validate: false }), bad);
    throwsField(() => encodeFraming({ ...legacy, frames: 2 ** 32 }, { validate: false }), 'frames', 2 ** 32);
  });
});

describe('decoders on random bytes (fuzz, review)', () => {
  /** Decodes, re-encodes and checks: only FramingError may escape; a decoded framing re-encodes to the same bytes. */
  function decodeOrFramingError(bytes: Uint8Array): void {
    for (const validate of [true, false]) {
      let decoded: ReturnType<typeof decodeFramingEx> | undefined;
      try {
        decoded = decodeFramingEx(bytes, { validate });
      } catch (e) {
        assert.ok(e instanceof FramingError, `decodeFramingEx threw ${String(e)}`);
        continue;
      }
      assert.deepEqual(encodeFramingEx(decoded, { validate }), bytes);
    }
  }

  it('decodeFramingEx on arbitrary bytes throws nothing but FramingError (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: FRAMING_EX_HEADER_SIZE + 3 * FRAMING_ITEM_SIZE + 8 }),
        decodeOrFramingError,
      ),
      { numRuns: 500 },
    );
  });

  it('decodeFramingEx on well-sized buffers with random contents throws nothing but FramingError (property)', () => {
    // A consistent CountItems and length reach the item reader and validation, where random bytes usually land.
    const sized = fc.integer({ min: 1, max: 4 }).chain((count) =>
      fc
        .uint8Array({
          minLength: FRAMING_EX_HEADER_SIZE + FRAMING_ITEM_SIZE * count,
          maxLength: FRAMING_EX_HEADER_SIZE + FRAMING_ITEM_SIZE * count,
        })
        .map((b) => {
          new DataView(b.buffer).setUint32(0, count, true);
          return b;
        }),
    );
    fc.assert(fc.property(sized, decodeOrFramingError), { numRuns: 500 });
  });

  it('decodeFramingEx on valid wire forms with random byte flips throws nothing but FramingError (property)', () => {
    const flipped = validFramingEx(3).chain((x) => {
      const bytes = encodeFramingEx(x);
      return fc
        .array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 })
        .map((flips) => {
          const b = bytes.slice();
          for (const [at, xor] of flips) b[at]! ^= xor;
          return b;
        });
    });
    fc.assert(fc.property(flipped, decodeOrFramingError), { numRuns: 300 });
  });

  it('decodeFraming (legacy) on arbitrary bytes throws nothing but FramingError (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        try {
          assert.deepEqual(encodeFraming(decodeFraming(bytes)), bytes);
        } catch (e) {
          assert.ok(
            e instanceof FramingError || e instanceof assert.AssertionError,
            `decodeFraming threw ${String(e)}`,
          );
          if (e instanceof assert.AssertionError) throw e;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a CountItems of 0xFFFFFFFF is refused before any item is read or allocated', () => {
    const bytes = new Uint8Array(FRAMING_EX_HEADER_SIZE);
    new DataView(bytes.buffer).setUint32(0, 0xffffffff, true);
    throwsField(() => decodeFramingEx(bytes), 'countItems', 0xffffffff);
  });
});

describe('encoders read every field once (review)', () => {
  it('a getter cannot pass validation with one value and be encoded with another', () => {
    const x = avshws();
    let reads = 0;
    Object.defineProperty(x.items[0]!, 'flags', {
      enumerable: true,
      get: () => (++reads === 1 ? 0x80000002 : 0x10000000), // valid once, unknown bits afterwards
    });
    const bytes = encodeFramingEx(x);
    assert.equal(reads, 1);
    assert.deepEqual(bytes, AVSHWS_BYTES);
    assert.equal(decodeFramingEx(bytes).items[0]!.flags, 0x80000002);
  });

  it('an items array that grows after the check cannot make encodeFramingExInto write past its length', () => {
    const x = avshws();
    const item = x.items[0]!;
    let lengthReads = 0;
    x.items = new Proxy([item], {
      get(target, key, receiver) {
        if (key === 'length') return ++lengthReads === 1 ? 1 : 5;
        if (typeof key === 'string' && /^\d+$/.test(key)) return item;
        return Reflect.get(target, key, receiver);
      },
    });
    const target = new Uint8Array(1000).fill(0xee);
    assert.equal(encodeFramingExInto(x, target, 0), 112);
    assert.deepEqual(target.subarray(0, 112), AVSHWS_BYTES);
    assert.ok(
      target.subarray(112).every((b) => b === 0xee),
      'nothing written after the framing',
    );
  });

  it('the legacy encoder likewise writes the value it checked', () => {
    let reads = 0;
    const legacy = { optionsFlags: 0, poolType: 0, frames: 2, frameSize: 4096, fileAlignment: 0, reserved: 0 };
    Object.defineProperty(legacy, 'fileAlignment', { enumerable: true, get: () => (++reads === 1 ? 3 : 6) });
    assert.equal(decodeFraming(encodeFraming(legacy)).fileAlignment, 3);
    assert.equal(reads, 1);
  });
});
