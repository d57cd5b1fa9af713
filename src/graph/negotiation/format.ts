import { PoolType } from '../../framing/constants.js';
import type { Compression, FramingRange } from '../../framing/types.js';
import { memoryTypeName } from './memory-types.js';
import type {
  NegotiationFailure,
  NegotiationRecord,
  PipeDecision,
  RecordValue,
  Rejection,
  SizeDecision,
} from './record.js';

/**
 * Text rendering of decision records.
 * @module
 */

function isRange(v: unknown): v is FramingRange {
  return typeof v === 'object' && v !== null && 'minFrameSize' in v && 'maxFrameSize' in v;
}

function isCompression(v: unknown): v is Compression {
  return typeof v === 'object' && v !== null && 'ratioNumerator' in v;
}

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `100..200` or `100..200 step 4`. */
export function formatRange(r: FramingRange): string {
  const step = r.stepping > 1 ? ` step ${r.stepping}` : '';
  return `${r.minFrameSize}..${r.maxFrameSize}${step}`;
}

/**
 * The range the size was picked from when the selected allocator narrowed it (a vendor's own size range or stepping):
 * `finalRange` when it is narrower than the hard range and the honoured preferences leave; null otherwise.
 */
function allocatorNarrowed(s: SizeDecision): FramingRange | null {
  const final = s.finalRange;
  if (final === null || s.hardRange === null || s.frameSize === null) return null;
  let lo = s.hardRange.minFrameSize;
  let hi = s.hardRange.maxFrameSize;
  for (const pref of s.preferences) {
    if (pref.outcome !== 'honored') continue;
    lo = Math.max(lo, pref.range.minFrameSize);
    hi = Math.min(hi, pref.range.maxFrameSize);
  }
  const narrower = final.minFrameSize > lo || final.maxFrameSize < hi || final.stepping > s.hardRange.stepping;
  return narrower ? final : null;
}

/** `×4/1+0` style: the ratio num/den plus margin. */
export function formatCompression(c: Compression): string {
  if (c.ratioNumerator === 0) return 'unknown ratio';
  return `×${c.ratioNumerator}/${c.ratioDenominator}${c.ratioConstantMargin ? `+${c.ratioConstantMargin}` : ''}`;
}

/** Renders a required/offered value: ranges, ratios, memory-type names, masks in hex for alignment. */
export function formatValue(v: RecordValue, field = ''): string {
  if (v === null) return 'none';
  if (Array.isArray(v)) return `[${v.map((x) => formatValue(x as RecordValue, field)).join(', ')}]`;
  if (isRange(v)) return formatRange(v);
  if (isCompression(v)) return formatCompression(v);
  if (typeof v === 'string') return GUID_RE.test(v) ? memoryTypeName(v) : v;
  if (typeof v === 'number' && field === 'fileAlignment') return `0x${v.toString(16)}`;
  return String(v);
}

/** The one-line NegotiationError message: `pin field: offered X is not allowed; expected Y (rule, pipe)`. */
export function formatFailure(f: NegotiationFailure): string {
  const holders = f.holders?.length ? `; holders ${f.holders.map((h) => `${h.pin} ${h.holds}`).join(', ')}` : '';
  return `${f.pin} ${f.field}: offered ${formatValue(f.offered, f.field)} is not allowed; expected ${formatValue(
    f.required,
    f.field,
  )} (rule ${f.rule} in ${f.pipe}${holders})`;
}

function formatRejection(r: Rejection): string {
  return `${r.rule}: ${r.pin} ${r.field} required ${formatValue(r.required, r.field)}, offered ${formatValue(
    r.offered,
    r.field,
  )}`;
}

const POOL_NAMES = new Map<number, string>(Object.entries(PoolType).map(([k, v]) => [v, k]));

function formatPipe(p: PipeDecision, lines: string[]): void {
  const links = [
    p.prevSegments.length ? `prev ${p.prevSegments.join(', ')}` : '',
    p.nextSegments.length ? `next ${p.nextSegments.join(', ')}` : '',
    p.branchOf ? `copies from ${p.branchOf}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  lines.push(`${p.id} [${p.mode}] ${p.status}: ${p.pins.join(' → ')}${links ? `  (${links})` : ''}`);
  lines.push(`  requester: ${p.requester.pin} (${p.requester.place})`);
  lines.push('  pins:');
  for (const r of p.requirements) {
    const parts = [`    ${r.position} ${r.pin} ${r.role}${r.mode === 'user' ? ' user-mode' : ''}`];
    if (r.itemIndex === null) parts.push('no framing');
    else {
      parts.push(`item ${r.itemIndex} ${memoryTypeName(r.memoryType!)}${r.memoryTypeMet ? '' : ' (not met)'}`);
      parts.push(
        `physical ${formatRange(r.physicalRange!)} (${r.sizeUse}${r.sizeUseReason ? `: ${r.sizeUseReason}` : ''})`,
      );
      if (r.optimalRangeAtAllocator) parts.push(`optimal ${formatRange(r.optimalRangeAtAllocator)}`);
      parts.push(`frames ${r.frames}`, `align 0x${r.fileAlignment.toString(16)}`, `flags 0x${r.flags.toString(16)}`);
      if (r.compression.ratioNumerator !== r.compression.ratioDenominator || r.compression.ratioConstantMargin) {
        parts.push(`ratio ${formatCompression(r.compression)}`);
      }
    }
    if (r.holds) parts.push(`holds ${r.holds}`);
    if (r.vendorAllocator) parts.push(`allocator ${r.vendorAllocator}`);
    lines.push(parts.join(', '));
  }
  if (p.memoryTypes.length) {
    lines.push(
      `  memory type: ${p.memoryType ? memoryTypeName(p.memoryType) : 'none'} (${p.memoryTypes
        .map(
          (m) => `${memoryTypeName(m.memoryType)} ${m.outcome}${m.failure ? ` — ${formatRejection(m.failure)}` : ''}`,
        )
        .join('; ')})`,
    );
  }
  const s = p.size;
  const sizeParts = [`hard ${s.hardRange ? formatRange(s.hardRange) : 'empty'}`];
  if (s.carried) {
    sizeParts.push(
      `carried ${s.carried.size} from ${s.carried.fromPipe} via ${s.carried.pin} ${formatCompression(s.carried.compression)}${s.carried.insist ? ' (insist)' : ''}`,
    );
  }
  for (const pref of s.preferences)
    sizeParts.push(`${pref.source} of ${pref.pin} ${formatRange(pref.range)} ${pref.outcome}`);
  const narrowed = allocatorNarrowed(s);
  if (narrowed !== null) sizeParts.push(`the selected allocator's range leaves ${formatRange(narrowed)}`);
  if (s.frameSize !== null) sizeParts.push(`→ ${s.frameSize} (${s.pick})`);
  lines.push(`  size: ${sizeParts.join('; ')}`);
  const f = p.frames;
  const frameParts = [`required ${f.required}${f.imposedBy ? ` (${f.imposedBy})` : ''}`];
  if (f.strategyExtra) frameParts.push(`+${f.strategyExtra} by strategy`);
  if (f.holders.length) frameParts.push(`held ${f.held} by ${f.holders.map((h) => `${h.pin} ${h.holds}`).join(', ')}`);
  if (f.budgetRaise) frameParts.push(`+${f.budgetRaise} by the frame budget`);
  frameParts.push(`limit ${f.limit}${f.limitedBy ? ` (${f.limitedBy})` : ''}`);
  if (f.frames !== null) frameParts.push(`→ ${f.frames}`);
  lines.push(`  frames: ${frameParts.join('; ')}`);
  lines.push(
    `  alignment: 0x${p.alignment.fileAlignment.toString(16)}${p.alignment.imposedBy ? ` (${p.alignment.imposedBy})` : ''}`,
  );
  if (p.mustAllocate) {
    lines.push(`  must allocate: ${p.mustAllocate.pin}${p.mustAllocate.preference ? ' (preference)' : ''}`);
  }
  for (const r of p.relaxed) lines.push(`  relaxed: ${formatRejection(r)}`);
  if (p.candidates.length) lines.push('  candidates:');
  for (const c of p.candidates) {
    const why = c.rejections.map(formatRejection).join('; ');
    lines.push(`    ${c.allocator} at ${c.pin}: ${c.outcome}${why ? ` — ${why}` : ''}`);
  }
  if (p.allocator) {
    const a = p.allocator;
    lines.push(`  allocator: ${a.kind}${a.id ? ` ${a.id}` : ''} at ${a.pin} (${a.place}, ${a.mode} mode)`);
  }
  if (p.framing) {
    const g = p.framing;
    lines.push(
      `  framing: optionsFlags 0x${g.optionsFlags.toString(16)}, poolType ${POOL_NAMES.get(g.poolType) ?? g.poolType}, frames ${g.frames}, frameSize ${g.frameSize}, fileAlignment 0x${g.fileAlignment.toString(16)}`,
    );
  }
  if (p.factorNames.length) lines.push(`  factors: ${p.factorNames.join(', ')}`);
  for (const n of p.notes) lines.push(`  note: ${n}`);
  if (p.failure) lines.push(`  FAILED: ${formatFailure(p.failure)}`);
}

/** Renders a decision record as readable text (one block per pipe). */
export function formatDecisionRecord(record: NegotiationRecord): string {
  const lines: string[] = [
    `negotiation: ${record.pipes.length} pipe${record.pipes.length === 1 ? '' : 's'}, strategy ${record.strategyNames.join(' | ') || 'none'}${record.failures.length ? `, ${record.failures.length} failed` : ''}`,
  ];
  for (const p of record.pipes) formatPipe(p, lines);
  return lines.join('\n');
}
