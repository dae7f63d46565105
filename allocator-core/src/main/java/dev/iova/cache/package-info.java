/**
 * Range caches: magazines of recently freed ranges in front of the tree, per size class, hung
 * off a fixed set of lock-striped slots instead of CPUs, with a bounded depot, and a lock-free
 * live map that checks every free ({@link dev.iova.cache.RangeCache} explains the design).
 *
 * <p>Owns the magazine, stripe and depot layouts and the live map. Imports nothing of this
 * project: it reaches the tree through {@link dev.iova.cache.RangeCache.Backend}, which the
 * domain implements under its lock.
 */
package dev.iova.cache;
