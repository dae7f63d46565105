/**
 * Range caches: magazines of recently freed ranges in front of the tree, per size class (powers
 * of two up to {@code maxCachedPages}, 512 pages by default), hung off a fixed set of
 * lock-striped slots instead of CPUs, with a bounded depot, a lock-free live map that checks
 * every free, and the run walk that refills a magazine from the tree
 * ({@link dev.iova.cache.RangeCache} explains the design, {@link dev.iova.cache.TreeRefill} the
 * refill).
 *
 * <p>Owns the magazine, stripe and depot layouts, the live map and the refill policy. Imports
 * {@code dev.iova.concurrent} (striped spin locks, thread probe, spin wait, padding) and nothing
 * else of this project: it reaches the tree through {@link dev.iova.cache.RangeCache.Backend} and
 * {@link dev.iova.cache.TreeRefill.LockedTree}, which the domain implements under its lock.
 */
package dev.iova.cache;
