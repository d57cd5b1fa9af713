import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NegotiationError } from '../../src/errors.js';
import { AllocatorFlags, MemoryType, PoolType, RequirementFlags } from '../../src/framing/constants.js';
import { AllocatorStrategy } from '../../src/graph/negotiation/constants.js';
import type { FilterDescription, NegotiationDescription } from '../../src/graph/negotiation/description.js';
import { formatDecisionRecord } from '../../src/graph/negotiation/format.js';
import { negotiate } from '../../src/graph/negotiation/negotiate.js';
import type { NegotiationRecord } from '../../src/graph/negotiation/record.js';
import { Status } from '../../src/status.js';
import {
  chainConnections,
  framing,
  pinIn,
  pinOut,
  range,
  ratio,
  simple,
  sink,
  sized,
  source,
  transform,
  vendor,
} from './fixtures.js';

const K = MemoryType.kernelNonPaged;

function chain(filters: FilterDescription[], extra: Partial<NegotiationDescription> = {}): NegotiationDescription {
  return { filters, connections: chainConnections(filters), ...extra };
}

function expectFailure(description: NegotiationDescription): NegotiationError {
  try {
    negotiate(description);
  } catch (e) {
    assert.ok(e instanceof NegotiationError, `expected a NegotiationError, got ${String(e)}`);
    return e;
  }
  assert.fail('negotiation succeeded');
}

function roundTrips(record: NegotiationRecord): void {
  assert.deepEqual(JSON.parse(JSON.stringify(record)), record);
}

describe('pipes', () => {
  it('an in-place transform stays inside the pipe; a non-in-place transform ends it and starts the next', () => {
    const filters = [source('src'), transform('fx', { inPlace: true }), transform('enc'), sink('out')];
    const r = negotiate(chain(filters));
    assert.equal(r.pipes.length, 2);
    assert.deepEqual(r.pipes[0]!.pins, ['src.out', 'fx.in', 'fx.out', 'enc.in']);
    assert.deepEqual(
      r.pipes[0]!.requirements.map((q) => q.role),
      ['source', 'inPlaceInput', 'inPlaceOutput', 'end'],
    );
    assert.deepEqual(r.pipes[1]!.pins, ['enc.out', 'out.in']);
    assert.deepEqual(r.pipes[0]!.nextSegments, ['pipe1']);
    assert.deepEqual(r.pipes[1]!.prevSegments, ['pipe0']);
    assert.equal(r.pipes[1]!.requirements[1]!.role, 'sink');
    assert.deepEqual(r.pipes[0]!.requester, { pin: 'src.out', place: 'firstPin' });
    roundTrips(r);
  });

  it('INPLACE_MODIFIER in the input framing makes the single output the in-place counterpart', () => {
    const filters = [
      source('src'),
      transform('fx', { input: { allocatorFraming: framing({ flags: RequirementFlags.inplaceModifier }) } }),
      sink('out'),
    ];
    const r = negotiate(chain(filters));
    assert.equal(r.pipes.length, 1);
    assert.deepEqual(r.pipes[0]!.pins, ['src.out', 'fx.in', 'fx.out', 'out.in']);
  });

  it('a user-mode input ends the pipe and makes it a user-mode pipe', () => {
    const filters = [source('src'), transform('fx', { inPlace: true }), sink('app', {}, true)];
    const r = negotiate(chain(filters));
    assert.equal(r.pipes[0]!.mode, 'user');
    assert.equal(r.pipes[0]!.requirements.at(-1)!.role, 'userModeEnd');
    assert.ok(r.pipes[0]!.factorNames.includes('userModeDownstream'));
  });
});

describe('vendor allocator selection', () => {
  it('vendor allocator chosen on a kernel pipe', () => {
    const filters = [
      source('cam', { allocatorFraming: simple(K, 0, 2, 3, 4096, 4096), allocator: vendor('dma') }),
      sink('enc'),
    ];
    const r = negotiate(chain(filters));
    const p = r.pipes[0]!;
    assert.equal(p.mode, 'kernel');
    assert.deepEqual(p.allocator, { kind: 'vendor', id: 'dma', pin: 'cam.out', place: 'firstPin', mode: 'kernel' });
    assert.deepEqual(
      p.candidates.map((c) => [c.allocator, c.outcome]),
      [
        ['vendor:dma', 'selected'],
        ['default', 'eligible'],
      ],
    );
    assert.deepEqual(p.framing, {
      optionsFlags: 0x2,
      poolType: PoolType.nonPagedPool,
      frames: 2,
      frameSize: 4096,
      fileAlignment: 3,
      reserved: 0,
    });
    roundTrips(r);
  });

  it('vendor allocator not chosen on a pipe with a user-mode end (no initialize is planned for it)', () => {
    const filters = [
      source('cam', { allocatorFraming: simple(K, 0, 2, 3, 4096, 4096), allocator: vendor('dma') }),
      sink('app', {}, true),
    ];
    const r = negotiate(chain(filters));
    const p = r.pipes[0]!;
    assert.equal(p.mode, 'user');
    const v = p.candidates.find((c) => c.kind === 'vendor')!;
    assert.equal(v.outcome, 'rejected');
    assert.deepEqual(v.rejections[0], {
      rule: 'userModePipe',
      pin: 'cam.out',
      field: 'mode',
      required: 'user',
      offered: 'kernel',
    });
    assert.deepEqual(p.allocator, { kind: 'user', id: null, pin: 'app.in', place: 'lastPin', mode: 'user' });
    assert.equal(p.memoryType, MemoryType.user);
    // The record is the only initialize plan the graph manager gets: no pipe selects the vendor allocator.
    for (const pipe of r.pipes) assert.notEqual(pipe.allocator?.id, 'dma');
    assert.doesNotMatch(JSON.stringify(r.pipes.map((x) => x.allocator)), /dma/);
  });

  it('vendor allocator rejected on alignment, with the reason in the record', () => {
    const filters = [
      source('cam', {
        allocatorFraming: simple(K, 0, 2, 0x3f, 4096, 4096),
        allocator: vendor('dma', { fileAlignment: 0xf }),
      }),
      sink('enc'),
    ];
    const p = negotiate(chain(filters)).pipes[0]!;
    assert.equal(p.allocator!.kind, 'default');
    assert.deepEqual(p.candidates[0]!.rejections, [
      { rule: 'vendorAlignment', pin: 'cam.out', field: 'fileAlignment', required: 0x3f, offered: 0xf },
    ]);
    assert.equal(p.framing!.fileAlignment, 0x3f);
    assert.match(
      formatDecisionRecord(negotiate(chain(filters))),
      /vendorAlignment: cam\.out fileAlignment required 0x3f, offered 0xf/,
    );
  });

  it('a selected vendor allocator that narrows the size range: the text names the range the size came from', () => {
    const physical = framing({ physicalRange: range(1000, 5000) });
    const withVendor = [
      source('cam', { allocatorFraming: physical, allocator: vendor('dma', { sizeRange: range(512, 4096, 512) }) }),
      sink('enc'),
    ];
    const r = negotiate(chain(withVendor));
    const p = r.pipes[0]!;
    assert.equal(p.allocator!.kind, 'vendor');
    assert.equal(p.framing!.frameSize, 1024);
    assert.deepEqual(p.size.finalRange, range(1024, 4096, 512));
    assert.match(
      formatDecisionRecord(r),
      /size: hard 1000\.\.5000; the selected allocator's range leaves 1024\.\.4096 step 512; → 1024 \(minimize\)/,
    );
    // without the vendor, nothing narrows the range: no such note
    const plain = negotiate(chain([source('cam', { allocatorFraming: physical }), sink('enc')]));
    assert.equal(plain.pipes[0]!.framing!.frameSize, 1000);
    assert.doesNotMatch(formatDecisionRecord(plain), /selected allocator's range/);
  });

  it('vendor allocator rejected on size, with the reason in the record', () => {
    const filters = [
      source('cam', { allocatorFraming: sized(8192, 8192), allocator: vendor('dma', { sizeRange: range(512, 4096) }) }),
      sink('enc'),
    ];
    const p = negotiate(chain(filters)).pipes[0]!;
    assert.equal(p.allocator!.kind, 'default');
    assert.deepEqual(p.candidates[0]!.rejections, [
      {
        rule: 'vendorFrameSize',
        pin: 'cam.out',
        field: 'frameSize',
        required: range(8192, 8192),
        offered: range(512, 4096),
      },
    ]);
    assert.equal(p.framing!.frameSize, 8192);
  });

  it('vendor allocator rejected on memory type, with the reason in the record', () => {
    const filters = [
      source('cam', {
        allocatorFraming: simple(K, 0, 2, 3, 4096, 4096),
        allocator: vendor('dma', { memoryTypes: [MemoryType.deviceUnknown] }),
      }),
      sink('enc'),
    ];
    const p = negotiate(chain(filters)).pipes[0]!;
    assert.equal(p.allocator!.kind, 'default');
    assert.deepEqual(p.candidates[0]!.rejections, [
      {
        rule: 'vendorMemoryType',
        pin: 'cam.out',
        field: 'memoryType',
        required: K,
        offered: [MemoryType.deviceUnknown],
      },
    ]);
  });

  it('vendor allocator rejected on frame count after the budget raise', () => {
    const filters = [
      source('cam', { allocatorFraming: simple(K, 0, 2, 3, 4096, 4096), allocator: vendor('dma', { maxFrames: 3 }) }),
      sink('enc', { frameHolding: { queueDepth: 3 } }),
    ];
    const p = negotiate(chain(filters)).pipes[0]!;
    assert.equal(p.frames.frames, 4);
    assert.deepEqual(p.candidates[0]!.rejections, [
      { rule: 'vendorFrames', pin: 'cam.out', field: 'frames', required: 4, offered: 3 },
    ]);
  });

  it('vendor allocator picks a size inside its own range when the pipe allows it', () => {
    const filters = [
      source('cam', {
        allocatorFraming: sized(1000, 8000),
        allocator: vendor('dma', { sizeRange: range(4096, 4096) }),
      }),
      sink('enc'),
    ];
    const p = negotiate(chain(filters)).pipes[0]!;
    assert.equal(p.allocator!.id, 'dma');
    assert.equal(p.framing!.frameSize, 4096);
    assert.equal(p.size.hardRange!.minFrameSize, 1000);
  });

  it('a device memory type is served only by a vendor allocator (the default allocator is rejected)', () => {
    const dev = MemoryType.deviceUnknown;
    const filters = [
      source('cam', {
        allocatorFraming: framing({ memoryType: dev, flags: AllocatorFlags.canAllocate }),
        allocator: vendor('dma', { memoryTypes: [dev], fileAlignment: 0x3 }),
      }),
      sink('enc', { allocatorFraming: framing({ memoryType: dev, fileAlignment: 0x7 }) }),
    ];
    const e = expectFailure(chain(filters));
    assert.equal(e.pin, 'cam.out');
    assert.equal(e.field, 'fileAlignment');
    assert.equal(e.rule, 'vendorAlignment');
    const p = e.record.pipes[0]!;
    assert.deepEqual(
      p.candidates.map((c) => [c.allocator, c.rejections.map((x) => x.rule)]),
      [
        ['vendor:dma', ['vendorAlignment']],
        ['default', ['defaultAllocatorMemory']],
      ],
    );
    assert.match(
      e.message,
      /^cam\.out fileAlignment: offered 0x3 is not allowed; expected 0x7 \(rule vendorAlignment in pipe0\)$/,
    );
  });
});

describe('selection rules', () => {
  it('MUST_ALLOCATE placement: the pin that must allocate gets the allocator', () => {
    const filters = [
      source('cam', { allocatorFraming: simple(K, 0, 2, 3, 4096, 4096), allocator: vendor('camAlloc') }),
      transform('fx', {
        inPlace: true,
        output: {
          allocatorFraming: framing({ memoryFlags: RequirementFlags.mustAllocate }),
          allocator: vendor('fxAlloc'),
        },
      }),
      sink('enc'),
    ];
    const p = negotiate(chain(filters)).pipes[0]!;
    assert.deepEqual(p.mustAllocate, { pin: 'fx.out', preference: false });
    assert.deepEqual(p.allocator, { kind: 'vendor', id: 'fxAlloc', pin: 'fx.out', place: 'middlePin', mode: 'kernel' });
    const cam = p.candidates.find((c) => c.id === 'camAlloc')!;
    assert.equal(cam.outcome, 'rejected');
    assert.equal(cam.rejections[0]!.rule, 'mustAllocate');
  });

  it('MUST_ALLOCATE without a vendor allocator places the default allocator at that pin', () => {
    const filters = [
      source('src'),
      transform('fx', { inPlace: true }),
      sink('enc', { allocatorFraming: framing({ flags: RequirementFlags.mustAllocate }) }),
    ];
    const p = negotiate(chain(filters)).pipes[0]!;
    assert.deepEqual(p.allocator, { kind: 'default', id: null, pin: 'enc.in', place: 'lastPin', mode: 'kernel' });
  });

  it('MUST_ALLOCATE on a kernel pin of a user-mode pipe places the user-memory allocator at that pin', () => {
    // [I] docs/negotiation.md 3.6: the placement rule outranks "at the first user-mode pin"; the memory stays user memory
    const filters = [
      source('cam', {
        allocatorFraming: framing({ flags: RequirementFlags.mustAllocate }),
        allocator: vendor('camAlloc'),
      }),
      sink('app', {}, true),
    ];
    const p = negotiate(chain(filters)).pipes[0]!;
    assert.equal(p.mode, 'user');
    assert.deepEqual(p.mustAllocate, { pin: 'cam.out', preference: false });
    assert.deepEqual(p.allocator, { kind: 'user', id: null, pin: 'cam.out', place: 'firstPin', mode: 'user' });
    const vendorCandidate = p.candidates.find((c) => c.id === 'camAlloc')!;
    assert.equal(vendorCandidate.outcome, 'rejected');
    assert.equal(vendorCandidate.rejections[0]!.rule, 'userModePipe');
  });

  it('two hard MUST_ALLOCATE pins in one pipe fail naming the second', () => {
    const must = framing({ flags: RequirementFlags.mustAllocate });
    const filters = [
      source('src', { allocatorFraming: must }),
      transform('fx', { inPlace: true, output: { allocatorFraming: must } }),
      sink('enc'),
    ];
    const e = expectFailure(chain(filters));
    assert.equal(e.pin, 'fx.out');
    assert.equal(e.field, 'mustAllocate');
  });

  it('size carried through a decoder compression ratio (INSIST_ON_FRAMESIZE_RATIO: exact)', () => {
    const filters = [
      source('file', { allocatorFraming: sized(1000, 1000) }),
      transform('dec', {
        output: {
          allocatorFraming: framing(
            { flags: AllocatorFlags.insistOnFramesizeRatio, physicalRange: range(0, 1 << 20) },
            ratio(4, 1, 16),
          ),
        },
      }),
      sink('render'),
    ];
    const r = negotiate(chain(filters));
    assert.equal(r.pipes[0]!.framing!.frameSize, 1000);
    const p1 = r.pipes[1]!;
    assert.deepEqual(p1.size.carried, {
      pin: 'dec.out',
      fromPipe: 'pipe0',
      compression: ratio(4, 1, 16),
      size: 4016,
      insist: true,
    });
    assert.equal(p1.framing!.frameSize, 4016);
    assert.ok(p1.factorNames.includes('fixedCompression'));
  });

  it('an insisted ratio outside the next pipe physical range fails naming the transform output', () => {
    const filters = [
      source('file', { allocatorFraming: sized(1000, 1000) }),
      transform('dec', {
        output: { allocatorFraming: sized(0, 2000, { flags: AllocatorFlags.insistOnFramesizeRatio }, ratio(4, 1)) },
      }),
      sink('render'),
    ];
    const e = expectFailure(chain(filters));
    assert.equal(e.pin, 'dec.out');
    assert.equal(e.field, 'frameSize');
    assert.equal(e.required, 4000);
    assert.deepEqual(e.offered, range(1, 2000));
    assert.equal(e.record.pipes[0]!.status, 'resolved');
  });

  it('without INSIST the carried size is a preference: at least the decoded size when the range allows', () => {
    const filters = [
      source('file', { allocatorFraming: sized(1000, 1000) }),
      transform('dec', { output: { allocatorFraming: framing({ physicalRange: range(512, 1 << 16) }, ratio(3, 2)) } }),
      sink('render'),
    ];
    const p1 = negotiate(chain(filters)).pipes[1]!;
    assert.equal(p1.size.carried!.insist, false);
    assert.equal(p1.framing!.frameSize, 1500);
  });

  it('an in-place size change maps downstream ranges to the allocator pin', () => {
    // fx doubles data in place: the sink sees 2·S, so its hard 0..4000 range (enforced) caps S at 2000.
    const filters = [
      source('src', { allocatorFraming: sized(1000, 3000) }),
      transform('fx', { inPlace: true, output: { allocatorFraming: framing({}, ratio(2, 1)) } }),
      sink('out', { allocatorFraming: sized(2400, 4000) }),
    ];
    const p = negotiate(chain(filters, { options: { enforceInputPinRanges: true } })).pipes[0]!;
    const sinkReq = p.requirements.find((q) => q.pin === 'out.in')!;
    assert.deepEqual(sinkReq.compression, ratio(2, 1));
    assert.deepEqual(sinkReq.physicalRangeAtAllocator, range(1200, 2000));
    assert.equal(p.framing!.frameSize, 1200);
  });

  it('input pin physical ranges are preferences by default (AVStream ignores them for buffer sizing)', () => {
    const filters = [
      source('src', { allocatorFraming: sized(1000, 3000) }),
      sink('out', { allocatorFraming: sized(5000, 6000) }),
    ];
    const p = negotiate(chain(filters)).pipes[0]!;
    assert.equal(p.requirements[1]!.sizeUse, 'preference');
    assert.equal(p.requirements[1]!.sizeUseReason, 'inputPin');
    assert.equal(p.framing!.frameSize, 1000);
    assert.deepEqual(p.relaxed[0], {
      rule: 'physicalRange',
      pin: 'out.in',
      field: 'physicalRange',
      required: range(5000, 6000),
      offered: 1000,
    });
    const e = expectFailure(chain(filters, { options: { enforceInputPinRanges: true } }));
    assert.equal(e.pin, 'out.in');
    assert.equal(e.field, 'physicalRange');
  });

  it('PREFERENCES_ONLY relaxes a requirement into a preference (recorded as such)', () => {
    const prefs = RequirementFlags.preferencesOnly | RequirementFlags.systemMemory;
    const filters = [
      source('src', { allocatorFraming: sized(4096, 4096, { flags: prefs }) }),
      transform('fx', { inPlace: true, output: { allocatorFraming: sized(8192, 8192) } }),
      sink('out'),
    ];
    const p = negotiate(chain(filters)).pipes[0]!;
    assert.equal(p.requirements[0]!.sizeUse, 'preference');
    assert.equal(p.requirements[0]!.sizeUseReason, 'preferencesOnly');
    assert.equal(p.framing!.frameSize, 8192);
    assert.deepEqual(p.relaxed, [
      { rule: 'physicalRange', pin: 'src.out', field: 'physicalRange', required: range(4096, 4096), offered: 8192 },
    ]);
    // The same requirement without PREFERENCES_ONLY is hard: the pipe fails.
    const hard = [
      source('src', { allocatorFraming: sized(4096, 4096) }),
      transform('fx', { inPlace: true, output: { allocatorFraming: sized(8192, 8192) } }),
      sink('out'),
    ];
    const e = expectFailure(chain(hard));
    assert.equal(e.pin, 'fx.out');
    assert.equal(e.field, 'physicalRange');
    assert.deepEqual(e.required, range(8192, 8192));
    assert.deepEqual(e.offered, range(4096, 4096));
    assert.match(e.message, /^fx\.out physicalRange: offered 4096\.\.4096 is not allowed; expected 8192\.\.8192/);
  });

  it('PREFERENCES_ONLY relaxes a memory-type mismatch', () => {
    const filters = [
      source('src', {
        allocatorFraming: framing({ memoryType: MemoryType.deviceUnknown, flags: RequirementFlags.preferencesOnly }),
      }),
      transform('fx', { inPlace: true, output: { allocatorFraming: framing({ memoryType: MemoryType.kernelPaged }) } }),
      sink('out'),
    ];
    const p = negotiate(chain(filters)).pipes[0]!;
    assert.equal(p.memoryType, MemoryType.kernelPaged);
    assert.equal(p.framing!.poolType, PoolType.pagedPool);
    assert.deepEqual(p.relaxed[0], {
      rule: 'memoryType',
      pin: 'src.out',
      field: 'memoryType',
      required: MemoryType.deviceUnknown,
      offered: MemoryType.kernelPaged,
    });
    assert.equal(p.memoryTypes[0]!.memoryType, MemoryType.kernelPaged);
  });

  it('memory types intersect: hard mismatches fail naming the pin, weights only break ties', () => {
    const bad = [
      source('src', { allocatorFraming: framing({ memoryType: MemoryType.kernelPaged }) }),
      transform('fx', {
        inPlace: true,
        output: { allocatorFraming: framing({ memoryType: MemoryType.deviceUnknown }) },
      }),
      sink('out'),
    ];
    const e = expectFailure(chain(bad));
    assert.equal(e.field, 'memoryType');
    assert.ok(['src.out', 'fx.out'].includes(e.pin));
    // Two alternatives both acceptable: the heavier weight wins.
    const tie = [
      source('src', {
        allocatorFraming: framing([
          { memoryType: MemoryType.kernelPaged, memoryTypeWeight: 1 },
          { memoryType: MemoryType.kernelNonPaged, memoryTypeWeight: 5 },
        ]),
      }),
      sink('out'),
    ];
    const p = negotiate(chain(tie)).pipes[0]!;
    assert.equal(p.memoryType, MemoryType.kernelNonPaged);
    assert.equal(p.requirements[0]!.itemIndex, 1);
  });

  it('a zero-filled range (MaxFrameSize 0) states no requirement', () => {
    const zero = range(0, 0, 0);
    const filters = [
      source('src', {
        allocatorFraming: framing({
          physicalRange: zero,
          framingRange: { range: range(2048, 2048), inPlaceWeight: 0, notInPlaceWeight: 0 },
        }),
      }),
      sink('out'),
    ];
    const p = negotiate(chain(filters)).pipes[0]!;
    assert.equal(p.framing!.frameSize, 2048);
    assert.deepEqual(p.requirements[0]!.physicalRange, zero);
  });

  it('alignment is the OR of the masks; frames the maximum over the pins', () => {
    const filters = [
      source('src', { allocatorFraming: framing({ fileAlignment: 0x7, frames: 2 }) }),
      transform('fx', { inPlace: true, output: { allocatorFraming: framing({ fileAlignment: 0x3f, frames: 5 }) } }),
      sink('out', { allocatorFraming: framing({ fileAlignment: 0x1, frames: 3 }) }),
    ];
    const p = negotiate(chain(filters)).pipes[0]!;
    assert.deepEqual(p.alignment, { fileAlignment: 0x3f, imposedBy: 'fx.out' });
    assert.equal(p.frames.frames, 5);
    assert.equal(p.frames.imposedBy, 'fx.out');
  });

  it('strategy MaximizeSpeed picks the top of the optimal range; without MinimizeNumberOfFrames ≥ 3 frames', () => {
    const filters = [source('src', { allocatorFraming: simple(K, 0, 1, 0, 1000, 5000) }), sink('out')];
    const p = negotiate(chain(filters, { strategy: AllocatorStrategy.maximizeSpeed })).pipes[0]!;
    assert.equal(p.framing!.frameSize, 5000);
    assert.equal(p.framing!.frames, 3);
    const q = negotiate(chain(filters)).pipes[0]!;
    assert.equal(q.framing!.frameSize, 1000);
    assert.equal(q.framing!.frames, 1);
  });

  it('the default allocator refuses an alignment above PAGE_SIZE − 1', () => {
    const filters = [source('src', { allocatorFraming: framing({ fileAlignment: 0x1fff }) }), sink('out')];
    const e = expectFailure(chain(filters));
    assert.equal(e.rule, 'defaultAllocatorAlignment');
    assert.equal(e.field, 'fileAlignment');
    assert.equal(e.required, 0x1fff);
  });

  it('FRAME_INTEGRITY upstream of an in-place modifier fails naming the modifier', () => {
    const filters = [
      source('src', { allocatorFraming: framing({ flags: RequirementFlags.frameIntegrity }) }),
      transform('fx', { inPlace: true }),
      sink('out'),
    ];
    const e = expectFailure(chain(filters));
    assert.equal(e.pin, 'fx.in');
    assert.equal(e.rule, 'frameIntegrity');
  });
});

describe('documented framings', () => {
  it('avshws capture pin (KERNEL_NONPAGED, SYSTEM_MEMORY | PREFERENCES_ONLY, 2 frames, both ranges = biSizeImage)', () => {
    const biSizeImage = 320 * 240 * 2;
    const capture = framing({
      memoryType: K,
      flags: (RequirementFlags.systemMemory | RequirementFlags.preferencesOnly) >>> 0,
      frames: 2,
      fileAlignment: 0,
      physicalRange: range(biSizeImage, biSizeImage, 0),
      framingRange: { range: range(biSizeImage, biSizeImage, 0), inPlaceWeight: 0, notInPlaceWeight: 0 },
    });
    assert.equal(capture.items[0]!.flags, 0x80000002);
    // To a kernel sink: kernel memory, the preferred size.
    const k = negotiate(chain([source('cap', { allocatorFraming: capture }), sink('enc')])).pipes[0]!;
    assert.deepEqual(k.framing, {
      optionsFlags: 0x2,
      poolType: PoolType.nonPagedPool,
      frames: 2,
      frameSize: biSizeImage,
      fileAlignment: 0,
      reserved: 0,
    });
    // To the application: user memory, same size and count, no kernel allocator.
    const u = negotiate(chain([source('cap', { allocatorFraming: capture }), sink('app', {}, true)])).pipes[0]!;
    assert.equal(u.memoryType, MemoryType.user);
    assert.equal(u.allocator!.kind, 'user');
    assert.equal(u.framing!.frameSize, biSizeImage);
    assert.equal(u.framing!.frames, 2);
    assert.deepEqual(u.relaxed, []);
  });

  it('DECLARE_SIMPLE_FRAMING_EX: the optimal min..max picks the size (physical range is don’t-care)', () => {
    const p = negotiate(chain([source('s', { allocatorFraming: simple(K, 0, 4, 0xf, 8192, 16384) }), sink('k')]))
      .pipes[0]!;
    assert.equal(p.framing!.frameSize, 8192);
    assert.equal(p.framing!.frames, 4);
    assert.equal(p.framing!.fileAlignment, 0xf);
    assert.deepEqual(p.size.hardRange, range(1, 0xffffffff));
  });
});

describe('splitters', () => {
  const tee = (): FilterDescription => ({
    id: 'tee',
    pins: [pinIn('in', null, { inPlaceCounterpart: 'out' }), pinOut('out', null, { splitter: true })],
  });

  it('splitter branches whose consumers do not modify share one pipe', () => {
    const filters = [source('src'), tee(), sink('a'), sink('b')];
    const r = negotiate({
      filters,
      connections: [
        { from: 'src.out', to: 'tee.in' },
        { from: 'tee.out', to: 'a.in' },
        { from: 'tee.out', to: 'b.in' },
      ],
    });
    assert.equal(r.pipes.length, 1);
    assert.deepEqual([...r.pipes[0]!.pins].sort(), ['a.in', 'b.in', 'src.out', 'tee.in', 'tee.out']);
    assert.ok((r.pipes[0]!.properties!.flags & AllocatorFlags.multipleOutput) !== 0);
  });

  it('a splitter branch into an in-place modifier gets its own pipe fed by copies', () => {
    const filters = [
      source('src', { allocatorFraming: sized(2048, 2048) }),
      tee(),
      sink('a'),
      transform('fx', { inPlace: true }),
      sink('b'),
    ];
    const r = negotiate({
      filters,
      connections: [
        { from: 'src.out', to: 'tee.in' },
        { from: 'tee.out', to: 'a.in' },
        { from: 'tee.out', to: 'fx.in' },
        { from: 'fx.out', to: 'b.in' },
      ],
    });
    assert.equal(r.pipes.length, 2);
    assert.deepEqual(r.pipes[0]!.pins, ['src.out', 'tee.in', 'tee.out', 'a.in']);
    const branch = r.pipes[1]!;
    assert.deepEqual(branch.pins, ['tee.out', 'fx.in', 'fx.out', 'b.in']);
    assert.equal(branch.branchOf, 'pipe0');
    assert.equal(branch.requirements[0]!.role, 'copySource');
    assert.equal(branch.requester.pin, 'tee.out');
    assert.equal(branch.size.carried!.size, 2048);
    assert.equal(branch.framing!.frameSize, 2048);
    assert.ok((branch.properties!.flags & AllocatorFlags.noFrameIntegrity) !== 0);
  });

  it('when no splitter branch only reads, the first consumer keeps the splitter pipe and the others get copies', () => {
    const filters = [
      source('src'),
      tee(),
      transform('fx', { inPlace: true }),
      transform('gx', { inPlace: true }),
      sink('a'),
      sink('b'),
    ];
    const r = negotiate({
      filters,
      connections: [
        { from: 'src.out', to: 'tee.in' },
        { from: 'tee.out', to: 'fx.in' },
        { from: 'tee.out', to: 'gx.in' },
        { from: 'fx.out', to: 'a.in' },
        { from: 'gx.out', to: 'b.in' },
      ],
    });
    assert.equal(r.pipes.length, 2);
    assert.deepEqual(r.pipes[0]!.pins, ['src.out', 'tee.in', 'tee.out', 'fx.in', 'fx.out', 'a.in']);
    assert.equal(r.pipes[0]!.properties!.flags & AllocatorFlags.multipleOutput, 0);
    assert.deepEqual(r.pipes[1]!.pins, ['tee.out', 'gx.in', 'gx.out', 'b.in']);
    assert.equal(r.pipes[1]!.branchOf, 'pipe0');
  });

  it('a read-only in-place tap on a branch shares the pipe', () => {
    const tap: FilterDescription = {
      id: 'tap',
      pins: [pinIn('in', null, { inPlaceCounterpart: 'out', readOnly: true }), pinOut('out')],
    };
    const r = negotiate({
      filters: [source('src'), tee(), sink('a'), tap, sink('b')],
      connections: [
        { from: 'src.out', to: 'tee.in' },
        { from: 'tee.out', to: 'a.in' },
        { from: 'tee.out', to: 'tap.in' },
        { from: 'tap.out', to: 'b.in' },
      ],
    });
    assert.equal(r.pipes.length, 1);
    assert.ok(r.pipes[0]!.requirements.some((q) => q.role === 'readOnlyInput'));
  });
});

describe('static frame budget', () => {
  it('raises the frame count above what the members can hold together', () => {
    const filters = [
      source('src', { allocatorFraming: framing({ frames: 2 }) }),
      transform('fx', { inPlace: true, input: { frameHolding: { queueDepth: 1, clonesKept: 1 } } }),
      sink('out', { frameHolding: { queueDepth: 2, trailingWindow: 1 } }),
    ];
    const p = negotiate(chain(filters)).pipes[0]!;
    assert.equal(p.frames.held, 5);
    assert.equal(p.frames.budgetRaise, 4);
    assert.equal(p.framing!.frames, 6);
    assert.deepEqual(
      p.frames.holders.map((h) => [h.pin, h.holds]),
      [
        ['fx.in', 2],
        ['out.in', 3],
      ],
    );
  });

  it('a graph that would deadlock is caught by negotiate()', () => {
    // The DMA ring allows 4 frames, the sink keeps 3 queued and the transform keeps 2 clones: the source starves.
    const filters = [
      source('cam', { allocatorFraming: framing({ frames: 2 }), frameHolding: { maxFrames: 4 } }),
      transform('fx', { inPlace: true, input: { frameHolding: { clonesKept: 2 } } }),
      sink('out', { frameHolding: { queueDepth: 3 } }),
    ];
    const e = expectFailure(chain(filters));
    assert.equal(e.rule, 'frameBudget');
    assert.equal(e.field, 'frames');
    assert.equal(e.pin, 'out.in');
    assert.equal(e.required, 6);
    assert.equal(e.offered, 4);
    assert.equal(e.status, Status.insufficientResources);
    assert.deepEqual(
      e.record.failures[0]!.holders!.map((h) => h.pin),
      ['fx.in', 'out.in'],
    );
    assert.match(e.message, /holders fx\.in 2, out\.in 3/);
    roundTrips(e.record);
  });

  it('the graph-wide maxFrames option is a physical limit too', () => {
    const filters = [source('src'), sink('out', { frameHolding: { queueDepth: 8 } })];
    const e = expectFailure(chain(filters, { options: { maxFrames: 8 } }));
    assert.equal(e.rule, 'frameBudget');
    assert.equal(negotiate(chain(filters, { options: { maxFrames: 9 } })).pipes[0]!.framing!.frames, 9);
  });
});

describe('decision record', () => {
  it('is plain JSON and renders as text', () => {
    const filters = [
      source('cam', { allocatorFraming: simple(K, 0, 2, 3, 4096, 4096), allocator: vendor('dma') }),
      transform('fx', { inPlace: true }),
      transform('enc', { output: { allocatorFraming: framing({}, ratio(1, 4)) } }),
      sink('app', { frameHolding: { queueDepth: 2 } }, true),
    ];
    const r = negotiate(chain(filters));
    roundTrips(r);
    const text = formatDecisionRecord(r);
    assert.match(text, /^negotiation: 2 pipes/);
    assert.match(text, /pipe0 \[kernel\] resolved: cam\.out → fx\.in → fx\.out → enc\.in/);
    assert.match(text, /vendor:dma at cam\.out: selected/);
    assert.match(text, /pipe1 \[user\] resolved/);
    assert.match(text, /carried 1024 from pipe0 via enc\.out ×1\/4/);
    assert.match(text, /\+2 by the frame budget/);
  });

  it('a failed negotiation still records every pipe', () => {
    const filters = [
      source('src', { allocatorFraming: framing({ fileAlignment: 0x1fff }) }),
      transform('enc'),
      sink('out'),
    ];
    const e = expectFailure(chain(filters));
    assert.equal(e.record.pipes.length, 2);
    assert.equal(e.record.pipes[0]!.status, 'failed');
    assert.equal(e.record.pipes[1]!.status, 'resolved');
    assert.match(e.record.pipes[1]!.notes[0]!, /not resolved/);
    assert.match(formatDecisionRecord(e.record), /FAILED: src\.out fileAlignment/);
  });

  it('is deterministic', () => {
    const filters = [source('src', { allocatorFraming: simple(K, 0, 2, 3, 100, 200) }), transform('enc'), sink('out')];
    assert.deepEqual(negotiate(chain(filters)), negotiate(chain(filters)));
  });
});

describe('description validation', () => {
  const ok = (): NegotiationDescription => chain([source('src'), sink('out')]);

  it('rejects bad descriptions with typed errors naming the path', () => {
    // biome-ignore lint/suspicious/noExplicitAny: the cases write arbitrary (invalid) shapes into the description
    const cases: [string, (d: any) => void, RegExp, ErrorConstructor][] = [
      [
        'not an object',
        (d) => Object.assign(d, { filters: 3 }),
        /^description\.filters: 3 is not allowed; expected an array/,
        TypeError,
      ],
      [
        'unknown key',
        (d) => Object.assign(d.filters[0], { bogus: 1 }),
        /^description\.filters\[0\]\.bogus:/,
        TypeError,
      ],
      [
        'bad dataFlow',
        (d) => Object.assign(d.filters[0].pins[0], { dataFlow: 'up' }),
        /pins\[0\]\.dataFlow: "up"/,
        TypeError,
      ],
      [
        'bad alignment mask',
        (d) => Object.assign(d.filters[0].pins[0], { allocatorFraming: framing({ fileAlignment: 5 }) }),
        /allocatorFraming\.items\[0\]\.fileAlignment: 5 is not allowed/,
        RangeError,
      ],
      [
        'min > max',
        (d) => Object.assign(d.filters[0].pins[0], { allocatorFraming: framing({ physicalRange: range(10, 5) }) }),
        /items\[0\]\.physicalRange\.maxFrameSize: 5/,
        RangeError,
      ],
      [
        'zero denominator',
        (d) => Object.assign(d.filters[0].pins[0], { allocatorFraming: framing({}, ratio(1, 0)) }),
        /outputCompression\.ratioDenominator: 0/,
        RangeError,
      ],
      [
        'bad GUID',
        (d) => Object.assign(d.filters[0].pins[0], { allocatorFraming: framing({ memoryType: 'x' }) }),
        /memoryType: "x"/,
        TypeError,
      ],
      [
        'unknown pin',
        (d) => Object.assign(d.connections[0], { to: 'out.nope' }),
        /connections\[0\]\.to: "out\.nope"/,
        TypeError,
      ],
      [
        'input to input',
        (d) => Object.assign(d.connections[0], { from: 'out.in' }),
        /connections\[0\]\.from/,
        TypeError,
      ],
      ['duplicate filter', (d) => Object.assign(d.filters[1], { id: 'src' }), /filters\[1\]\.id: "src"/, TypeError],
      [
        'allocator on a user pin',
        (d) =>
          Object.assign(d.filters[0], { userMode: true, pins: [{ ...d.filters[0].pins[0], allocator: vendor('v') }] }),
        /allocator: "v"/,
        TypeError,
      ],
      [
        '__proto__ key',
        (d) => {
          d.filters[0] = JSON.parse('{"id":"src","pins":[],"__proto__":{}}');
        },
        /__proto__/,
        TypeError,
      ],
    ];
    for (const [name, mutate, message, type] of cases) {
      const d = ok();
      mutate(d);
      assert.throws(
        () => negotiate(d),
        (e: Error) => e instanceof type && message.test(e.message),
        name,
      );
    }
  });

  it('rejects a second connection from a non-splitter output and cycles', () => {
    const d: NegotiationDescription = {
      filters: [source('src'), sink('a'), sink('b')],
      connections: [
        { from: 'src.out', to: 'a.in' },
        { from: 'src.out', to: 'b.in' },
      ],
    };
    assert.throws(() => negotiate(d), /splitter/);
    const loop: NegotiationDescription = {
      filters: [transform('x'), transform('y')],
      connections: [
        { from: 'x.out', to: 'y.in' },
        { from: 'y.out', to: 'x.in' },
      ],
    };
    assert.throws(() => negotiate(loop), /acyclic/);
  });
});
