import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as api from '../../src/index.js';

describe('framing public API', () => {
  it('exports the framing functions and constants from the package entry', () => {
    for (const name of [
      'simpleFraming',
      'initializeSimpleFraming',
      'cloneFramingEx',
      'cloneFraming',
      'freezeFramingEx',
      'freezeFraming',
      'validateFramingEx',
      'validateFraming',
      'parseFramingEx',
      'parseFraming',
      'encodeFramingEx',
      'encodeFramingExInto',
      'decodeFramingEx',
      'encodeFraming',
      'decodeFraming',
      'framingExByteLength',
      'readGuid',
      'writeGuid',
    ] as const) {
      assert.equal(typeof api[name], 'function', name);
    }
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
