import { GUID_NULL, MemoryType, PoolType } from '../../framing/constants.js';
import type { Guid } from '../../framing/guid.js';
import { LogicalMemoryType, type LogicalMemoryTypeValue } from './constants.js';

/**
 * Memory-type compatibility used by allocator selection (docs/negotiation.md, "Memory type").
 * @module
 */

/** True for KSMEMORY_TYPE_SYSTEM, KERNEL_PAGED and KERNEL_NONPAGED: memory the CPU addresses as system memory. */
export function isSystemMemoryType(type: Guid): boolean {
  return type === MemoryType.system || type === MemoryType.kernelPaged || type === MemoryType.kernelNonPaged;
}

/**
 * True when frames of memory type `chosen` meet a pin item that asks for `required`:
 * - GUID_NULL (wildcard) accepts any memory type;
 * - equal types match;
 * - SYSTEM accepts KERNEL_PAGED and KERNEL_NONPAGED (both are system memory);
 * - KERNEL_PAGED accepts KERNEL_NONPAGED (resident memory serves where pageable memory is asked);
 * - on a user-mode pipe (`chosen` = USER), SYSTEM / KERNEL_PAGED / KERNEL_NONPAGED are met because the kernel side
 *   probes and locks the user buffers it receives (they become resident, system-addressable memory);
 * - device memory types match only themselves.
 * `needsSystemMemory` (REQUIREMENTF_SYSTEM_MEMORY) additionally refuses device memory.
 */
export function memoryTypeSatisfies(chosen: Guid, required: Guid, needsSystemMemory = false): boolean {
  if (needsSystemMemory && !isSystemMemoryType(chosen) && chosen !== MemoryType.user && chosen !== GUID_NULL) {
    return false;
  }
  if (required === GUID_NULL || required === chosen) return true;
  if (chosen === MemoryType.user) return isSystemMemoryType(required);
  if (required === MemoryType.system) return chosen === MemoryType.kernelPaged || chosen === MemoryType.kernelNonPaged;
  if (required === MemoryType.kernelPaged) return chosen === MemoryType.kernelNonPaged;
  return false;
}

/** True when the default allocator can provide memory of this type: system memory, or user memory in user mode. */
export function defaultAllocatorProvides(type: Guid, userMode: boolean): boolean {
  return userMode ? type === MemoryType.user : isSystemMemoryType(type);
}

/**
 * POOL_TYPE for a resolved memory type: KERNEL_PAGED ⇒ PagedPool, USER ⇒ PagedPool (user memory is pageable),
 * everything else (KERNEL_NONPAGED, SYSTEM, device memory) ⇒ NonPagedPool.
 */
export function poolTypeFor(type: Guid): number {
  return type === MemoryType.kernelPaged || type === MemoryType.user ? PoolType.pagedPool : PoolType.nonPagedPool;
}

/** KS_LogicalMemoryType for a resolved memory type. */
export function logicalMemoryTypeFor(type: Guid): LogicalMemoryTypeValue {
  switch (type) {
    case GUID_NULL:
      return LogicalMemoryType.dontCare;
    case MemoryType.kernelPaged:
      return LogicalMemoryType.kernelPaged;
    case MemoryType.kernelNonPaged:
      return LogicalMemoryType.kernelNonPaged;
    case MemoryType.system:
      return LogicalMemoryType.anyHost;
    case MemoryType.user:
      return LogicalMemoryType.user;
    case MemoryType.deviceUnknown:
      return LogicalMemoryType.deviceHostMapped;
    default:
      return LogicalMemoryType.deviceSpecific;
  }
}

const NAMES: Record<string, string> = {
  [GUID_NULL]: 'WILDCARD',
  [MemoryType.system]: 'SYSTEM',
  [MemoryType.user]: 'USER',
  [MemoryType.kernelPaged]: 'KERNEL_PAGED',
  [MemoryType.kernelNonPaged]: 'KERNEL_NONPAGED',
  [MemoryType.deviceUnknown]: 'DEVICE_UNKNOWN',
};

/** A readable name for a memory type: `KERNEL_NONPAGED`, …, or the GUID itself for device-specific types. */
export function memoryTypeName(type: Guid): string {
  return NAMES[type] ?? type;
}
