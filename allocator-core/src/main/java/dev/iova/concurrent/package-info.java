/**
 * The concurrency floor that the range caches ({@code dev.iova.cache}) and the DMA layer
 * ({@code dev.iova.dma}) both stand on, and the domain's lock: the domain's spin lock
 * ({@link dev.iova.concurrent.SpinLock}), closable striped spin locks
 * ({@link dev.iova.concurrent.StripedSpinLocks}), the per-thread probe that picks a stripe
 * ({@link dev.iova.concurrent.ThreadProbe}), the spin-then-yield wait
 * ({@link dev.iova.concurrent.SpinWait}) and the padding between independently written words
 * ({@link dev.iova.concurrent.CacheLines}).
 *
 * <p>Imports nothing of this project; every other package may import it. Everything here is
 * thread-safe and allocates nothing after construction.
 */
package dev.iova.concurrent;
