import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as api from '../../src/index.js';

describe('framing public API', () => {
  it('exports the framing functions and constants from the package entry', () => {
    const fns: Record<string, unknown> = {
      simpleFraming: api.simpleFraming,
      initializeSimpleFraming: api.initializeSimpleFraming,
      cloneFramingEx: api.cloneFramingEx,
      cloneFraming: api.cloneFraming,
      freezeFramingEx: api.freezeFramingEx,
      freezeFraming: api.freezeFraming,
      validateFramingEx: api.validateFramingEx,
      validateFraming: api.validateFraming,
      parseFramingEx: api.parseFramingEx,
      parseFraming: api.parseFraming,
      encodeFramingEx: api.encodeFramingEx,
      encodeFramingExInto: api.encodeFramingExInto,
      decodeFramingEx: api.decodeFramingEx,
      encodeFraming: api.encodeFraming,
      decodeFraming: api.decodeFraming,
      framingExByteLength: api.framingExByteLength,
      readGuid: api.readGuid,
      writeGuid: api.writeGuid,
    };
    for (const [name, fn] of Object.entries(fns)) assert.equal(typeof fn, 'function', name);
    assert.equal(api.FRAMING_EX_HEADER_SIZE, 24);
    assert.equal(api.FRAMING_ITEM_SIZE, 88);
    assert.equal(api.FRAMING_SIZE, 24);
    assert.equal(api.MAX_FRAMING_ITEMS, 64);
    assert.equal(api.FRAMING_OPTIONS_FLAGS_MASK, 0x8000001f);
    assert.equal(api.FramingItemOffset.framingRange, 68);
  });

  it('works end to end: simple framing → wire → JSON → framing', () => {
    const x = api.simpleFraming(api.MemoryType.kernelPaged, api.RequirementFlags.systemMemory, 4, 3, 1024, 4096);
    const back = api.decodeFramingEx(api.encodeFramingEx(x));
    assert.deepEqual(api.parseFramingEx(JSON.parse(JSON.stringify(back))), x);
  });
});
