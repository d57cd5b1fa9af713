import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PinFlags } from '../../src/pin/pin-flags.js';
import { PropertySetId, PropertyType } from '../../src/property/constants.js';
import { ksProperty, requestProperty } from '../../src/property/ks-property.js';
import { Status } from '../../src/status.js';
import { captureFraming, makeFilter, outputDescriptor, pinDescriptor, streamFormat } from './helpers.js';

describe('typed and wire forms agree', () => {
  it('for every pin property and verb: same status; a GET’s bytes are identical; a zero-length query reports their size', () => {
    const arbPin = fc.record({
      output: fc.boolean(),
      framing: fc.boolean(),
      flags: fc.constantFrom(0, PinFlags.fixedFormat, PinFlags.doNotUseStandardTransport),
      edit: fc.nat(9),
    });
    const arbRequest = fc.record({
      set: fc.constantFrom(PropertySetId.connection, PropertySetId.stream, PropertySetId.streamAllocator),
      id: fc.nat(11),
      flags: fc.constantFrom(
        PropertyType.get,
        PropertyType.basicSupport,
        PropertyType.setSupport,
        PropertyType.relations,
      ),
    });
    fc.assert(
      fc.property(arbPin, arbRequest, (p, request) => {
        const make = p.output ? outputDescriptor : pinDescriptor;
        const pin = makeFilter([
          make({ flags: p.flags, allocatorFraming: p.framing ? captureFraming() : null }),
        ]).createPin(0, streamFormat);
        if (p.framing && p.edit > 0) pin.editAllocatorFraming().items[0]!.frames = p.edit;
        const typed = requestProperty(pin, request);
        const wire = ksProperty(pin, request, new Uint8Array(1024));
        assert.equal(wire.status, typed.status);
        if (typed.status !== Status.success || request.flags !== PropertyType.get) return;
        assert.deepEqual(wire.bytes, typed.bytes);
        assert.deepEqual(wire.value, typed.value);
        const query = ksProperty(pin, request);
        assert.equal(query.bytesReturned, typed.bytesReturned);
        assert.ok(query.status === Status.bufferOverflow || query.status === Status.bufferTooSmall);
      }),
      { numRuns: 200 },
    );
  });
});
