import { PoolType } from '../framing/constants.js';

/**
 * POOL_TYPE classification for the default allocator (spec §2.2, §8).
 * @module
 */

/** How a pool's memory is committed: `nonPaged` = the whole slab at initialize, `paged` = grown lazily. */
export type PoolKind = 'paged' | 'nonPaged';

/** The cache-line size the `*CacheAligned` pool types align frames to (x86/x64: 64 bytes). */
export const CACHE_LINE_SIZE = 64;

const KNOWN_POOL_TYPES: ReadonlySet<number> = new Set(Object.values(PoolType));

/** True for the POOL_TYPE values a KSALLOCATOR_FRAMING create request may carry (0, 1, 4, 5, 512). */
export function isKnownPoolType(poolType: number): boolean {
  return KNOWN_POOL_TYPES.has(poolType);
}

/** `paged` for PagedPool (1) and PagedPoolCacheAligned (5); `nonPaged` for the NonPagedPool family (0, 4, 512). */
export function poolKind(poolType: number): PoolKind {
  return poolType === PoolType.pagedPool || poolType === PoolType.pagedPoolCacheAligned ? 'paged' : 'nonPaged';
}

/** True for NonPagedPoolCacheAligned (4) and PagedPoolCacheAligned (5): frames start on a cache line. */
export function isCacheAlignedPoolType(poolType: number): boolean {
  return poolType === PoolType.nonPagedPoolCacheAligned || poolType === PoolType.pagedPoolCacheAligned;
}
