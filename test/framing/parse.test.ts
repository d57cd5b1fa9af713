import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FramingError } from '../../src/errors.js';
import { decodeFramingEx, encodeFramingEx } from '../../src/framing/codec.js';
import { MAX_FRAMING_ITEMS, MemoryType } from '../../src/framing/constants.js';
import { isGuid } from '../../src/framing/guid.js';
import { parseFraming, parseFramingEx } from '../../src/framing/parse.js';
import { simpleFraming } from '../../src/framing/simple-framing.js';
import { validFraming, validFramingEx } from './arbitraries.js';
import { corruption, guidPathsEx, LEGACY_PATHS, numericPathsEx, setPath } from './corrupt.js';

const json = () =>
  JSON.parse(JSON.stringify(simpleFraming(MemoryType.kernelNonPaged, 0x80000002, 2, 0, 8192, 8192))) as Record<
    string,
    unknown
  >;

function throwsField(fn: () => unknown, field: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FramingError, `expected a FramingError, got ${String(e)}`);
    assert.equal(e.field, field);
    return true;
  });
}

describe('parseFramingEx (untrusted input)', () => {
  it('returns a clean, validated copy sharing nothing with the input', () => {
    const input = json();
    const x = parseFramingEx(input);
    assert.deepEqual(x, input);
    assert.notEqual(x, input);
    assert.notEqual(x.items, input.items);
    assert.equal(Object.getPrototypeOf(x), Object.prototype);
  });

  it('round-trips random valid framings through JSON', () => {
    fc.assert(
      fc.property(validFramingEx(3), (x) => {
        assert.deepEqual(parseFramingEx(JSON.parse(JSON.stringify(x))), x);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects non-objects at the root and in nested positions', () => {
    for (const bad of [null, undefined, 1, 'x', [], () => 0]) throwsField(() => parseFramingEx(bad), 'framingEx');
    throwsField(() => parseFramingEx(new (class Framing {})()), 'framingEx');
    throwsField(() => parseFramingEx({ ...json(), outputCompression: [1, 1, 0] }), 'outputCompression');
    const x = json();
    setPath(x, 'items[0].physicalRange', 'any');
    throwsField(() => parseFramingEx(x), 'items[0].physicalRange');
  });

  it('rejects unknown keys, naming the path', () => {
    throwsField(() => parseFramingEx({ ...json(), extra: 1 }), 'extra');
    const x = json();
    setPath(x, 'items[0].framingRange.range.align', 4);
    throwsField(() => parseFramingEx(x), 'items[0].framingRange.range.align');
  });

  it('rejects __proto__, constructor and prototype keys', () => {
    throwsField(() => parseFramingEx(JSON.parse('{"__proto__": {"polluted": true}}')), '__proto__');
    const x = json();
    (x.items as Record<string, unknown>[])[0] = JSON.parse(
      JSON.stringify((x.items as unknown[])[0]).replace('{', '{"__proto__":{"memoryFlags":8},'),
    );
    throwsField(() => parseFramingEx(x), 'items[0].__proto__');
    throwsField(() => parseFramingEx({ ...json(), constructor: 1 }), 'constructor');
    const y = json();
    setPath(y, 'outputCompression.prototype', {});
    throwsField(() => parseFramingEx(y), 'outputCompression.prototype');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('rejects getters without calling them, and symbol keys', () => {
    let called = false;
    const x = json();
    Object.defineProperty(x, 'pinFlags', {
      enumerable: true,
      get() {
        called = true;
        return 0;
      },
    });
    throwsField(() => parseFramingEx(x), 'pinFlags');
    assert.equal(called, false);
    throwsField(() => parseFramingEx({ ...json(), [Symbol('s')]: 1 }), 'framingEx');
  });

  it('rejects missing fields, naming the path', () => {
    const x = json();
    delete (x.outputCompression as Record<string, unknown>).ratioConstantMargin;
    throwsField(() => parseFramingEx(x), 'outputCompression.ratioConstantMargin');
    const y = json();
    delete ((y.items as Record<string, unknown>[])[0] as Record<string, unknown>).busType;
    throwsField(() => parseFramingEx(y), 'items[0].busType');
    const z = json();
    delete z.pinWeight;
    throwsField(() => parseFramingEx(z), 'pinWeight');
  });

  it('bounds the item count before reading any item', () => {
    const x = json();
    let touched = 0;
    const items = new Proxy(Array.from({ length: MAX_FRAMING_ITEMS + 1 }), {
      getOwnPropertyDescriptor(target, key) {
        if (key !== 'length') touched++;
        return Reflect.getOwnPropertyDescriptor(target, key);
      },
      get(target, key, receiver) {
        if (key !== 'length') touched++;
        return Reflect.get(target, key, receiver);
      },
    });
    x.items = items;
    throwsField(() => parseFramingEx(x), 'items');
    assert.equal(touched, 0);
    throwsField(() => parseFramingEx({ ...json(), items: [] }), 'items');
    throwsField(() => parseFramingEx({ ...json(), items: {} }), 'items');
    // Holes are missing items.
    const holey: unknown[] = [];
    holey[1] = (json().items as unknown[])[0];
    throwsField(() => parseFramingEx({ ...json(), items: holey }), 'items[0]');
  });

  it('accepts an optional countItems that must equal items.length and be bounded', () => {
    assert.equal(parseFramingEx({ ...json(), countItems: 1 }).items.length, 1);
    assert.equal('countItems' in parseFramingEx({ ...json(), countItems: 1 }), false);
    throwsField(() => parseFramingEx({ ...json(), countItems: 2 }), 'countItems');
    throwsField(() => parseFramingEx({ ...json(), countItems: 0 }), 'countItems');
    throwsField(() => parseFramingEx({ ...json(), countItems: 1e9 }), 'countItems');
    throwsField(() => parseFramingEx({ ...json(), countItems: '1' }), 'countItems');
  });

  it('normalises GUIDs given with braces or in upper case', () => {
    const x = json();
    setPath(x, 'items[0].memoryType', '{4A6D5FC4-7895-11D1-B069-00A0C9062802}');
    assert.equal(parseFramingEx(x).items[0]?.memoryType, MemoryType.kernelNonPaged);
  });

  it('rejects numbers given as strings and other non-ULONGs', () => {
    const x = json();
    setPath(x, 'items[0].frames', '2');
    throwsField(() => parseFramingEx(x), 'items[0].frames');
  });

  it('applies every validation rule (single-field corruptions name the field)', () => {
    const arb = validFramingEx(2).chain((x) =>
      corruption(x, [...numericPathsEx(x.items.length), ...guidPathsEx(x.items.length)]).map((c) => ({ x, c })),
    );
    fc.assert(
      fc.property(arb, ({ x: generated, c }) => {
        let x = generated;
        if (c.value === undefined) return; // a missing field: covered above
        if (isGuid(c.value)) return; // braces are accepted (normalised) by parse
        x = structuredClone(x);
        setPath(x, c.path, c.value);
        throwsField(() => parseFramingEx(x), c.path);
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseFraming (legacy, untrusted input)', () => {
  const legacy = () => ({ optionsFlags: 2, poolType: 0, frames: 2, frameSize: 4096, fileAlignment: 3, reserved: 0 });

  it('returns a clean validated copy', () => {
    const input = legacy();
    const x = parseFraming(input);
    assert.deepEqual(x, input);
    assert.notEqual(x, input);
  });

  it('rejects non-objects, unknown keys, prototype keys and missing fields', () => {
    throwsField(() => parseFraming(null), 'framing');
    throwsField(() => parseFraming([]), 'framing');
    throwsField(() => parseFraming({ ...legacy(), requirementsFlags: 0 }), 'requirementsFlags');
    throwsField(() => parseFraming(JSON.parse('{"__proto__": null}')), '__proto__');
    const { reserved: _, ...missing } = legacy();
    throwsField(() => parseFraming(missing), 'reserved');
  });

  it('applies the legacy rules (property)', () => {
    fc.assert(
      fc.property(
        validFraming.chain((x) => corruption(x, LEGACY_PATHS).map((c) => ({ x, c }))),
        ({ x: generated, c }) => {
          let x = generated;
          assert.deepEqual(parseFraming(JSON.parse(JSON.stringify(x))), x);
          if (c.value === undefined) return;
          x = structuredClone(x);
          setPath(x, c.path, c.value);
          throwsField(() => parseFraming(x), c.path);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('parseFramingEx / parseFraming: hostile objects (review)', () => {
  /** Every failure must be a FramingError, never the hostile object's own error. */
  function framingErrorOnly(fn: () => unknown): FramingError {
    let caught: unknown;
    try {
      fn();
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof FramingError, `expected a FramingError, got ${String(caught)}`);
    return caught;
  }
  const boom = () => {
    throw new Error('trap');
  };

  it('a proxy whose traps throw is a FramingError naming where it sits', () => {
    // parse reads only through reflection (never [[Get]] or [[Has]]): a throwing get or has trap is never reached.
    for (const trap of ['get', 'has'] as const) {
      assert.deepEqual(parseFramingEx(new Proxy(json(), { [trap]: boom })), json());
      const x = json();
      x.items = new Proxy(x.items as object, { [trap]: boom });
      assert.deepEqual(parseFramingEx(x), json());
    }
    for (const trap of ['ownKeys', 'getPrototypeOf', 'getOwnPropertyDescriptor'] as const) {
      const root = new Proxy(json(), { [trap]: boom });
      assert.equal(framingErrorOnly(() => parseFramingEx(root)).field, 'framingEx', trap);
      const x = json();
      (x.items as unknown[])[0] = new Proxy((x.items as object[])[0]!, { [trap]: boom });
      assert.equal(framingErrorOnly(() => parseFramingEx(x)).field, 'items[0]', trap);
      const legacy = { optionsFlags: 0, poolType: 0, frames: 1, frameSize: 1, fileAlignment: 0, reserved: 0 };
      assert.equal(framingErrorOnly(() => parseFraming(new Proxy(legacy, { [trap]: boom }))).field, 'framing', trap);
    }
  });

  it('an items array whose descriptors throw is a FramingError naming items', () => {
    const y = json();
    y.items = new Proxy(y.items as object, { getOwnPropertyDescriptor: boom });
    assert.equal(framingErrorOnly(() => parseFramingEx(y)).field, 'items');
  });

  it('a revoked proxy is a FramingError', () => {
    const { proxy, revoke } = Proxy.revocable(json(), {});
    revoke();
    assert.equal(framingErrorOnly(() => parseFramingEx(proxy)).field, 'framingEx');
  });

  it('a transparent proxy is read like its target and the result shares nothing with it', () => {
    const x = parseFramingEx(new Proxy(json(), {}));
    assert.deepEqual(x, json());
    assert.equal(Object.getPrototypeOf(x), Object.prototype);
  });

  it('reads items.length once: a proxy cannot grow the array after the bound check', () => {
    const x = json();
    const item = (x.items as unknown[])[0];
    let reads = 0;
    x.items = new Proxy(x.items as unknown[], {
      get(target, key, receiver) {
        if (key === 'length') return reads++ === 0 ? 1 : 1e9;
        return Reflect.get(target, key, receiver);
      },
      getOwnPropertyDescriptor(target, key) {
        if (key === 'length')
          return { value: reads++ === 0 ? 1 : 1e9, writable: true, enumerable: false, configurable: false };
        return (
          Reflect.getOwnPropertyDescriptor(target, key) ?? {
            value: item,
            writable: true,
            enumerable: true,
            configurable: true,
          }
        );
      },
    });
    assert.equal(parseFramingEx(x).items.length, 1);
    assert.equal(reads, 1);
  });

  it('error messages never call getters or toJSON of a bad value and stay short', () => {
    let calls = 0;
    const bad = {
      get x() {
        calls++;
        return 1;
      },
      toJSON() {
        calls++;
        return 1;
      },
    };
    const e = framingErrorOnly(() => parseFramingEx({ ...json(), pinFlags: bad }));
    assert.equal(e.field, 'pinFlags');
    assert.equal(calls, 0);
    assert.match(e.message, /^pinFlags: \{"x":\[accessor\],"toJSON":a function\} is not allowed/);
    const huge = framingErrorOnly(() => parseFramingEx({ ...json(), pinFlags: new Array(1e6).fill(7) }));
    assert.match(huge.message, /^pinFlags: Array\(1000000\) is not allowed/);
    const long = framingErrorOnly(() => parseFramingEx({ ...json(), pinWeight: 'x'.repeat(1e6) }));
    assert.ok(long.message.length < 300, `message of ${long.message.length} characters`);
    const trap = framingErrorOnly(() => parseFramingEx({ ...json(), pinWeight: new Proxy({}, { ownKeys: boom }) }));
    assert.match(trap.message, /^pinWeight: an unreadable object is not allowed/);
  });

  it('deep nesting in a value is rejected without recursing into it', () => {
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const e = framingErrorOnly(() => parseFramingEx({ ...json(), pinFlags: deep }));
    assert.equal(e.field, 'pinFlags');
    let deepArray: unknown = [];
    for (let i = 0; i < 100_000; i++) deepArray = [deepArray];
    assert.equal(framingErrorOnly(() => parseFramingEx({ ...json(), items: deepArray })).field, 'items[0]');
  });

  it('huge and sparse item arrays are rejected by length before any element is read', () => {
    const sparse: unknown[] = [];
    sparse.length = 2 ** 32 - 1;
    assert.equal(framingErrorOnly(() => parseFramingEx({ ...json(), items: sparse })).field, 'items');
    assert.equal(framingErrorOnly(() => parseFramingEx({ ...json(), items: new Array(1e7) })).field, 'items');
  });

  it('a polluted Object.prototype or Array.prototype adds nothing to the parsed framing', () => {
    const proto = Object.prototype as Record<string, unknown>;
    const arrayProto = Array.prototype as unknown as Record<string, unknown>;
    const x = json();
    const item = (x.items as unknown[])[0];
    delete x.pinWeight;
    try {
      proto.pinWeight = 0;
      proto.countItems = 5;
      arrayProto[0] = item;
      assert.equal(framingErrorOnly(() => parseFramingEx(x)).field, 'pinWeight');
      assert.deepEqual(parseFramingEx(json()), json());
      assert.equal(framingErrorOnly(() => parseFramingEx({ ...json(), items: new Array(1) })).field, 'items[0]');
    } finally {
      delete proto.pinWeight;
      delete proto.countItems;
      delete arrayProto[0];
    }
  });
});

describe('parseFramingEx: numbers (review)', () => {
  it('-0 is read as the ULONG 0, so parse → encode → decode deep-equals the parsed framing', () => {
    const x = json();
    x.pinFlags = -0;
    (x.outputCompression as Record<string, unknown>).ratioConstantMargin = -0;
    const parsed = parseFramingEx(x);
    assert.ok(Object.is(parsed.pinFlags, 0));
    assert.ok(Object.is(parsed.outputCompression.ratioConstantMargin, 0));
    assert.deepStrictEqual(decodeFramingEx(encodeFramingEx(parsed)), parsed);
    assert.ok(
      Object.is(
        parseFraming({ optionsFlags: -0, poolType: 0, frames: 0, frameSize: 0, fileAlignment: 0, reserved: 0 })
          .optionsFlags,
        0,
      ),
    );
  });
});
