package dev.iova.cache;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLongArray;

import dev.iova.concurrent.StripedSpinLocks;
import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;

import static dev.iova.cache.DepotDescriptor.FULL_COUNT_OFFSET;
import static dev.iova.cache.DepotDescriptor.depotLength;
import static dev.iova.cache.DepotDescriptor.slotOffset;
import static dev.iova.cache.DepotDescriptor.tagOffset;
import static dev.iova.cache.MagazineDescriptor.COUNT_OFFSET;
import static dev.iova.cache.MagazineDescriptor.magazineLength;
import static dev.iova.cache.MagazineDescriptor.pfnOffset;
import static dev.iova.cache.StripeDescriptor.ALLOC_HITS_OFFSET;
import static dev.iova.cache.StripeDescriptor.ALLOC_MISSES_OFFSET;
import static dev.iova.cache.StripeDescriptor.FAST_FREES_OFFSET;
import static dev.iova.cache.StripeDescriptor.leafHintOffset;
import static dev.iova.cache.StripeDescriptor.loadedOffset;
import static dev.iova.cache.StripeDescriptor.prevOffset;
import static dev.iova.cache.StripeDescriptor.stripeLength;

/**
 * Magazines of recently freed ranges in front of the tree, so that most allocations and frees
 * of small ranges never take the tree's lock.
 *
 * <h2>Magazines</h2>
 * After Bonwick and Adams, "Magazines and Vmem" (USENIX 2001), as Linux's
 * {@code drivers/iommu/iova.c} rcache uses them: per size class (powers of two up to
 * {@code maxCachedPages}), a <em>loaded</em> and a <em>previous</em> magazine of
 * {@code magazineRanges} first pfns. A free pushes onto the loaded magazine; when it is full and
 * the previous one is too, the loaded magazine goes to the class's <em>depot</em> in exchange for
 * an empty one, and when the depot is full as well its ranges go back to the tree. An allocation
 * pops the highest pfn within its limit from the loaded magazine, then the previous one, then
 * trades its empty magazine for a full one from the depot, and only then asks the tree. When the
 * tree has no room, every cached range is given back ({@link #flush()}) and the tree is asked
 * once more, so a cache never makes an allocation fail that the tree alone would satisfy.
 *
 * <p>Two departures from Linux, both so that each thread keeps its own ranges: a stripe that
 * goes to the tree takes a <em>run</em> of highest-fit ranges down an aligned 8-page block
 * ({@link TreeRefill}), and a stripe taking a full magazine from the depot takes the last one it
 * parked itself, when there is one ({@link DepotDescriptor}). Two threads then do not write the
 * same cache lines of a page table, nor of the live map, on every map and unmap.
 *
 * <h2>Stripes instead of CPUs</h2>
 * A JVM thread cannot ask which CPU it runs on, and a cache per thread grows with the number of
 * threads and dies with them. So magazines hang off a fixed number of <em>stripes</em> (by
 * default four per available processor, a power of two), each guarded by its own spin lock. A
 * thread uses the stripe its probe points at (the per-thread hash {@code LongAdder} uses) and, if
 * that one is held, rehashes its probe and tries another: a busy or preempted holder costs the
 * others one failed compare-and-set, never a wait, and threads that collided once part for good. The
 * consequences, each by construction:
 * <ul>
 *   <li>memory is fixed at creation: {@code stripes × classes × 2} magazines plus
 *       {@code classes × depotMagazines}, whatever the number of threads;</li>
 *   <li>nothing belongs to a thread, so a thread that dies loses no range;</li>
 *   <li>a range freed on another thread (a completion thread freeing what a submitter mapped)
 *       goes into that thread's stripe exactly like a local free, and full magazines flow to
 *       the submitter's stripe through the depot;</li>
 *   <li>no lock is shared by all threads on the hit path: a stripe lock is contended only when
 *       two running threads hash to it at the same moment, and then one moves on.</li>
 * </ul>
 *
 * <h2>Checking frees without the tree</h2>
 * A {@link LiveRangeMap} records every range handed out; a free must clear its byte, so double,
 * unknown, misaligned and wrong-size frees are caught on the fast path and go to the tree's
 * checked free, which throws and changes nothing. A caller that checks its own frees (the DMA
 * layer) uses {@link #allocFastTrusted} / {@link #freeFastTrusted}, which skip the map.
 *
 * <h2>Closing</h2>
 * {@link #close()} closes the locks ({@link StripedSpinLocks#beginClose()}: every stripe and
 * depot lock taken, after its holder finished, and kept), then frees the memory. Every operation
 * takes a lock before touching that memory and fails once the locks are closed. The slow-path
 * counters, read and written outside any lock, live on the Java heap for the same reason.
 *
 * <p>Garbage-free: no operation allocates on the Java heap.
 */
public final class RangeCache implements AutoCloseable
{
    /**
     * Marks a range the tree hands to the caches as handed out, called by the backend while it
     * still holds the domain's lock, so that the range becomes live for {@code freeFast} at the
     * same moment it leaves the tree for other allocators (else a free racing with the
     * allocation could be refused after another allocation had already failed for want of that
     * range: not linearizable, and {@code RangeCacheLinearizabilityTest} caught it).
     */
    public interface LiveMarker
    {
        /**
         * @param pfn       first pfn, aligned to its class.
         * @param sizeClass its size class.
         * @param hint      the caller's leaf hint address.
         * @return false when the range cannot be tracked (the backend then takes it back).
         */
        boolean markLive(long pfn, int sizeClass, long hint);
    }

    /** What the cache needs of the domain underneath. Implementations take the domain's lock. */
    public interface Backend
    {
        /**
         * Takes the domain's lock, checks the domain is open, and calls
         * {@link TreeRefill#takeRun TreeRefill.takeRun} with the tree as a
         * {@link TreeRefill.LockedTree} and these arguments, returning what it returns.
         *
         * @param pages     a power of two.
         * @param maxRanges a power of two, at least 1.
         * @param limitPfn  highest pfn (inclusive).
         * @param marker    see {@link TreeRefill#takeRun}; null for none.
         * @param sizeClass the class, for {@code marker}.
         * @param hint      the leaf hint, for {@code marker}.
         * @return a packed run, 0 when nothing fits, or {@link TreeRefill#UNTRACKABLE}.
         */
        long allocCachedRun(long pages, int maxRanges, long limitPfn, LiveMarker marker, int sizeClass, long hint);

        /**
         * @param pages    a power of two.
         * @param limitPfn highest pfn (inclusive).
         * @return a size-aligned ordinary tree range, or 0 when none fits.
         */
        long allocUntracked(long pages, long limitPfn);

        /**
         * Gives a range the caches own back to the tree.
         *
         * @param pfn   first pfn.
         * @param pages its length.
         */
        void freeCached(long pfn, long pages);

        /**
         * Frees an ordinary tree range, with every check of the tree's free. A range the caches
         * own is not ordinary: it is refused, as the double free it then is.
         *
         * @param pfn        first pfn.
         * @param pages      its length, as the caller gave it.
         * @param classPages the length rounded up to its size class (what a range the caches own has).
         * @throws IllegalArgumentException when no such ordinary range is allocated.
         */
        void freeUntracked(long pfn, long pages, long classPages);
    }

    /**
     * The largest class whose magazines hold {@code magazineRanges} ranges: 32 pages, Linux's
     * largest cached size. Above it a magazine holds half as many ranges per class (at least
     * {@link #MIN_LARGE_MAGAZINE_RANGES}), so that the address space a class can hide in the
     * caches stays about that of the 32-page class whatever the largest cached size: with the
     * defaults, 127 ranges of 32 pages, 63 of 64, ..., 7 of 512 pages (14 MiB at a 4 KiB granule
     * per magazine), and the depot's magazines count the same for every class.
     */
    static final int FULL_MAGAZINE_MAX_CLASS = 5;

    /** The fewest ranges a magazine of a class above {@link #FULL_MAGAZINE_MAX_CLASS} holds. */
    static final int MIN_LARGE_MAGAZINE_RANGES = 4;

    /**
     * @param magazineRanges the configured ranges per magazine.
     * @param sizeClass      the class.
     * @return how many ranges a magazine of that class holds, from 1 to {@code magazineRanges}.
     */
    static int magazineCapacity(final int magazineRanges, final int sizeClass)
    {
        if (sizeClass <= FULL_MAGAZINE_MAX_CLASS)
        {
            return magazineRanges;
        }
        return Math.min(magazineRanges, Math.max(MIN_LARGE_MAGAZINE_RANGES, magazineRanges >> (sizeClass - FULL_MAGAZINE_MAX_CLASS)));
    }

    /** Returned by {@link #allocFast} when nothing fits. */
    public static final long NO_ADDRESS = 0L;

    /**
     * Slow-path counters, shared by all threads. They live on the heap, like the locks, so that
     * reading them can never touch memory that {@link #close()} freed.
     */
    private static final int TREE_ALLOCS = 0;
    private static final int TREE_FREES = 1;
    private static final int FLUSHES = 2;
    private static final int UNTRACKED = 3;

    private final Backend backend;
    private final int sizeClasses;
    private final int stripes;
    private final int stripeMask;
    private final int magazineRanges;
    /** Ranges a magazine of each class holds: {@link #magazineCapacity(int, int)}. */
    private final int[] capacityByClass;
    private final int depotMagazines;
    private final int stripeLength;
    private final int depotLength;
    private final int magazineLength;
    private final ByteBuffer memory;
    private final AtomicLongArray counters = new AtomicLongArray(4);
    private final long stripesAddress;
    private final long depotsAddress;
    private final long magazinesAddress;
    /** One lock per stripe (indexes 0 to stripes - 1), then one per depot. */
    private final StripedSpinLocks locks;
    private final LiveRangeMap liveMap;

    /**
     * @param backend        the domain underneath.
     * @param sizeClasses    classes 0 to {@code sizeClasses - 1}: ranges of 1 to {@code 2^(sizeClasses-1)} pages.
     * @param stripes        a power of two.
     * @param magazineRanges pfns per magazine.
     * @param depotMagazines full magazines each class's depot holds.
     */
    public RangeCache(
        final Backend backend, final int sizeClasses, final int stripes, final int magazineRanges, final int depotMagazines)
    {
        if (sizeClasses < 1 || sizeClasses > 16 || stripes < 1 || Integer.bitCount(stripes) != 1 ||
            magazineRanges < 1 || depotMagazines < 0)
        {
            throw new IllegalArgumentException("bad range cache geometry: sizeClasses=" + sizeClasses + " stripes=" + stripes +
                " magazineRanges=" + magazineRanges + " depotMagazines=" + depotMagazines);
        }
        this.backend = backend;
        this.sizeClasses = sizeClasses;
        this.stripes = stripes;
        this.stripeMask = stripes - 1;
        this.magazineRanges = magazineRanges;
        this.depotMagazines = depotMagazines;
        this.stripeLength = stripeLength(sizeClasses);
        this.depotLength = depotLength(depotMagazines);
        this.magazineLength = magazineLength(magazineRanges);
        this.capacityByClass = new int[sizeClasses];
        for (int sizeClass = 0; sizeClass < sizeClasses; sizeClass++)
        {
            capacityByClass[sizeClass] = magazineCapacity(magazineRanges, sizeClass);
        }

        final long stripesBytes = (long)stripes * stripeLength;
        final long depotsBytes = (long)sizeClasses * depotLength;
        final long magazinesBytes = (long)sizeClasses * magazinesPerClass() * magazineLength;
        // A direct buffer is only as aligned as malloc makes it (16 bytes): ask for the slack
        // that lets the stripes start on a STRIPE_ALIGNMENT boundary, as their layout assumes.
        final long totalBytes = stripesBytes + depotsBytes + magazinesBytes + StripeDescriptor.STRIPE_ALIGNMENT - 1;
        if (totalBytes > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("range caches of " + totalBytes + " bytes exceed 2 GiB: fewer stripes or magazines");
        }
        memory = ByteBuffer.allocateDirect((int)totalBytes); // zeroed: every magazine starts empty
        stripesAddress = alignUp(BufferUtil.address(memory), StripeDescriptor.STRIPE_ALIGNMENT);
        depotsAddress = stripesAddress + stripesBytes;
        magazinesAddress = depotsAddress + depotsBytes;
        locks = new StripedSpinLocks(stripes + sizeClasses, stripes, "domain is closed: its range caches are gone");
        liveMap = new LiveRangeMap(sizeClasses);

        for (int sizeClass = 0; sizeClass < sizeClasses; sizeClass++)
        {
            final int base = sizeClass * magazinesPerClass();
            for (int stripe = 0; stripe < stripes; stripe++)
            {
                UnsafeApi.putInt(stripeAddress(stripe) + loadedOffset(sizeClass), base + 2 * stripe);
                UnsafeApi.putInt(stripeAddress(stripe) + prevOffset(sizeClass), base + 2 * stripe + 1);
            }
            for (int slot = 0; slot < depotMagazines; slot++)
            {
                UnsafeApi.putInt(depotAddress(sizeClass) + slotOffset(slot), base + 2 * stripes + slot);
            }
        }
    }

    /** @return how many size classes: requests of up to {@code 2^(sizeClasses - 1)} pages are cached. */
    public int sizeClasses()
    {
        return sizeClasses;
    }

    /** @return how many stripes. */
    public int stripes()
    {
        return stripes;
    }

    /**
     * Allocates a size-aligned range of {@code 2^sizeClass} pages ending at or below {@code limitPfn},
     * from a magazine when one holds a range within the limit, else from the tree.
     *
     * @param sizeClass from 0 to {@code sizeClasses() - 1}.
     * @param limitPfn  highest pfn the range may use (inclusive).
     * @return the first pfn, or {@link #NO_ADDRESS} when even the tree, with every cache flushed back, has no room.
     * @throws IllegalStateException after {@link #close()}.
     */
    public long allocFast(final int sizeClass, final long limitPfn)
    {
        return allocFast(sizeClass, limitPfn, true);
    }

    /**
     * {@link #allocFast} for a caller that validates its own frees (the DMA layer, whose unmap
     * claims each mapping exactly once from the page table): the range is not entered in the
     * live map, and must be given back with {@link #freeFastTrusted}, never {@link #freeFast}
     * (which refuses it, as it refuses any range it did not hand out).
     *
     * @param sizeClass from 0 to {@code sizeClasses() - 1}.
     * @param limitPfn  highest pfn the range may use (inclusive).
     * @return the first pfn, or {@link #NO_ADDRESS} when even the tree, with every cache flushed back, has no room.
     * @throws IllegalStateException after {@link #close()}.
     */
    public long allocFastTrusted(final int sizeClass, final long limitPfn)
    {
        return allocFast(sizeClass, limitPfn, false);
    }

    private long allocFast(final int sizeClass, final long limitPfn, final boolean tracked)
    {
        final long classPages = 1L << sizeClass;
        final int stripe = lockAnyStripe();
        try
        {
            final long stripeAddress = stripeAddress(stripe);
            final long pfn = takeFromStripe(stripeAddress, sizeClass, limitPfn - classPages + 1);
            if (pfn != NO_ADDRESS)
            {
                incrementOwned(stripeAddress + ALLOC_HITS_OFFSET);
                if (!tracked || markLiveOrPutBack(stripeAddress, sizeClass, pfn))
                {
                    return pfn;
                }
                return untrackedInstead(pfn, sizeClass, limitPfn);
            }
            incrementOwned(stripeAddress + ALLOC_MISSES_OFFSET);
            final long treePfn = allocFromTree(stripeAddress, sizeClass, limitPfn, tracked);
            if (treePfn != NO_ADDRESS)
            {
                return treePfn;
            }
        }
        finally
        {
            try
            {
                locks.unlock(stripe);
            }
            catch (final StackOverflowError e)
            {
                locks.overflowedReleases[stripe].pending = 1; // no call: the next thread to find it held releases it
                throw e;
            }
        }
        return allocAfterFlush(sizeClass, limitPfn, tracked);
    }

    /**
     * Takes back a range that {@link #allocFast} handed out, into a magazine of the calling
     * thread's stripe. A range the caches did not hand out goes to the tree's checked free.
     *
     * @param pfn       first pfn of the range.
     * @param pages     its length as the caller gives it (an ordinary tree range must match it).
     * @param sizeClass the size class of {@code pages}.
     * @throws IllegalArgumentException for a pfn that is not the start of a live range of that
     *                                  size (double free, unknown pfn, misaligned pfn); nothing changes.
     * @throws IllegalStateException    after {@link #close()}.
     */
    public void freeFast(final long pfn, final long pages, final int sizeClass)
    {
        final long classPages = 1L << sizeClass;
        if ((pfn & (classPages - 1)) == 0)
        {
            final int stripe = lockAnyStripe();
            try
            {
                final long stripeAddress = stripeAddress(stripe);
                final long hint = stripeAddress + leafHintOffset(sizeClass);
                if (liveMap.clearLive(pfn, sizeClass, hint))
                {
                    try
                    {
                        putInStripe(stripeAddress, sizeClass, pfn);
                    }
                    catch (final Throwable ex)
                    {
                        liveMap.markLive(pfn, sizeClass, hint); // the free did not happen: the caller still holds the range
                        throw ex;
                    }
                    incrementOwned(stripeAddress + FAST_FREES_OFFSET);
                    return;
                }
            }
            finally
            {
                try
                {
                    locks.unlock(stripe);
                }
                catch (final StackOverflowError e)
                {
                    locks.overflowedReleases[stripe].pending = 1; // no call: the next thread to find it held releases it
                    throw e;
                }
            }
        }
        // Not a range the caches handed out: an ordinary tree range, or bad input the tree names.
        backend.freeUntracked(pfn, pages, classPages);
    }

    /**
     * Takes back a range that {@link #allocFastTrusted} handed out, into a magazine of the
     * calling thread's stripe, without checking it: the caller guarantees that {@code pfn} is
     * such a range, of this size class, and frees it once. A range freed twice this way would
     * be handed out twice.
     *
     * @param pfn       first pfn of the range.
     * @param sizeClass its size class.
     * @throws IllegalStateException after {@link #close()}.
     */
    public void freeFastTrusted(final long pfn, final int sizeClass)
    {
        final int stripe = lockAnyStripe();
        try
        {
            final long stripeAddress = stripeAddress(stripe);
            putInStripe(stripeAddress, sizeClass, pfn);
            incrementOwned(stripeAddress + FAST_FREES_OFFSET);
        }
        finally
        {
            try
            {
                locks.unlock(stripe);
            }
            catch (final StackOverflowError e)
            {
                locks.overflowedReleases[stripe].pending = 1; // no call: the next thread to find it held releases it
                throw e;
            }
        }
    }

    /**
     * Gives every cached range back to the tree: the magazines of every stripe and every depot.
     * Ranges that threads free meanwhile may be cached again at once.
     *
     * @throws IllegalStateException after {@link #close()}.
     */
    public void flush()
    {
        for (int stripe = 0; stripe < stripes; stripe++)
        {
            locks.lock(stripe);
            try
            {
                final long stripeAddress = stripeAddress(stripe);
                for (int sizeClass = 0; sizeClass < sizeClasses; sizeClass++)
                {
                    drain(magazineAddress(UnsafeApi.getInt(stripeAddress + loadedOffset(sizeClass))), sizeClass);
                    drain(magazineAddress(UnsafeApi.getInt(stripeAddress + prevOffset(sizeClass))), sizeClass);
                }
            }
            finally
            {
                try
                {
                    locks.unlock(stripe);
                }
                catch (final StackOverflowError e)
                {
                    locks.overflowedReleases[stripe].pending = 1; // no call: the next thread to find it held releases it
                    throw e;
                }
            }
        }
        for (int sizeClass = 0; sizeClass < sizeClasses; sizeClass++)
        {
            final int depotLock = depotLock(sizeClass);
            locks.lock(depotLock);
            try
            {
                final long depot = depotAddress(sizeClass);
                final int fullCount = UnsafeApi.getInt(depot + FULL_COUNT_OFFSET);
                for (int slot = fullCount - 1; slot >= 0; slot--)
                {
                    drain(magazineAddress(UnsafeApi.getInt(depot + slotOffset(slot))), sizeClass);
                    UnsafeApi.putInt(depot + FULL_COUNT_OFFSET, slot);
                }
            }
            finally
            {
                try
                {
                    locks.unlock(depotLock);
                }
                catch (final StackOverflowError e)
                {
                    locks.overflowedReleases[depotLock].pending = 1; // no call: the next thread to find it held releases it
                    throw e;
                }
            }
        }
        counters.incrementAndGet(FLUSHES);
    }

    /**
     * A consistent-enough snapshot of the counters: each stripe and depot is read under its lock.
     *
     * @return the statistics.
     * @throws IllegalStateException after {@link #close()}.
     */
    public RangeCacheStats stats()
    {
        long hits = 0;
        long misses = 0;
        long fastFrees = 0;
        long cachedRanges = 0;
        long depotFull = 0;
        for (int stripe = 0; stripe < stripes; stripe++)
        {
            locks.lock(stripe);
            try
            {
                final long stripeAddress = stripeAddress(stripe);
                hits += UnsafeApi.getLong(stripeAddress + ALLOC_HITS_OFFSET);
                misses += UnsafeApi.getLong(stripeAddress + ALLOC_MISSES_OFFSET);
                fastFrees += UnsafeApi.getLong(stripeAddress + FAST_FREES_OFFSET);
                for (int sizeClass = 0; sizeClass < sizeClasses; sizeClass++)
                {
                    cachedRanges += count(UnsafeApi.getInt(stripeAddress + loadedOffset(sizeClass)));
                    cachedRanges += count(UnsafeApi.getInt(stripeAddress + prevOffset(sizeClass)));
                }
            }
            finally
            {
                try
                {
                    locks.unlock(stripe);
                }
                catch (final StackOverflowError e)
                {
                    locks.overflowedReleases[stripe].pending = 1; // no call: the next thread to find it held releases it
                    throw e;
                }
            }
        }
        for (int sizeClass = 0; sizeClass < sizeClasses; sizeClass++)
        {
            final int depotLock = depotLock(sizeClass);
            locks.lock(depotLock);
            try
            {
                final long depot = depotAddress(sizeClass);
                final int fullCount = UnsafeApi.getInt(depot + FULL_COUNT_OFFSET);
                depotFull += fullCount;
                for (int slot = 0; slot < fullCount; slot++)
                {
                    cachedRanges += count(UnsafeApi.getInt(depot + slotOffset(slot)));
                }
            }
            finally
            {
                try
                {
                    locks.unlock(depotLock);
                }
                catch (final StackOverflowError e)
                {
                    locks.overflowedReleases[depotLock].pending = 1; // no call: the next thread to find it held releases it
                    throw e;
                }
            }
        }
        return new RangeCacheStats(hits, misses, fastFrees, counters.get(TREE_ALLOCS), counters.get(TREE_FREES),
            counters.get(FLUSHES), counters.get(UNTRACKED), depotFull, cachedRanges);
    }

    /** @return off-heap bytes held: stripes, depots, magazines and the live map. */
    public long offHeapBytes()
    {
        return locks.isClosed() ? 0 : memory.capacity() + liveMap.offHeapBytes();
    }

    /**
     * Waits for every operation in progress, then frees all memory. Cached ranges are not given
     * back (the domain is going away). Later calls throw {@link IllegalStateException}.
     */
    @Override
    public void close()
    {
        if (locks.beginClose())
        {
            liveMap.close();
            BufferUtil.free(memory);
            locks.endClose();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Magazines, under the stripe's lock
    // ---------------------------------------------------------------------------------------------

    private long takeFromStripe(final long stripeAddress, final int sizeClass, final long maxStartPfn)
    {
        final int loaded = UnsafeApi.getInt(stripeAddress + loadedOffset(sizeClass));
        long pfn = popWithin(magazineAddress(loaded), maxStartPfn);
        if (pfn != NO_ADDRESS)
        {
            return pfn;
        }
        final int prev = UnsafeApi.getInt(stripeAddress + prevOffset(sizeClass));
        pfn = popWithin(magazineAddress(prev), maxStartPfn);
        if (pfn != NO_ADDRESS)
        {
            UnsafeApi.putInt(stripeAddress + loadedOffset(sizeClass), prev);
            UnsafeApi.putInt(stripeAddress + prevOffset(sizeClass), loaded);
            return pfn;
        }
        if (count(loaded) != 0)
        {
            return NO_ADDRESS; // cached ranges, all above the limit: the tree decides
        }
        final int full = tradeWithDepot(stripeAddress, sizeClass, loaded, false);
        if (full < 0)
        {
            return NO_ADDRESS;
        }
        UnsafeApi.putInt(stripeAddress + loadedOffset(sizeClass), full);
        return popWithin(magazineAddress(full), maxStartPfn);
    }

    private void putInStripe(final long stripeAddress, final int sizeClass, final long pfn)
    {
        final int loaded = UnsafeApi.getInt(stripeAddress + loadedOffset(sizeClass));
        final int capacity = capacityByClass[sizeClass];
        if (count(loaded) < capacity)
        {
            push(magazineAddress(loaded), pfn);
            return;
        }
        final int prev = UnsafeApi.getInt(stripeAddress + prevOffset(sizeClass));
        if (count(prev) < capacity)
        {
            UnsafeApi.putInt(stripeAddress + loadedOffset(sizeClass), prev);
            UnsafeApi.putInt(stripeAddress + prevOffset(sizeClass), loaded);
            push(magazineAddress(prev), pfn);
            return;
        }
        final int empty = tradeWithDepot(stripeAddress, sizeClass, loaded, true);
        if (empty >= 0)
        {
            UnsafeApi.putInt(stripeAddress + loadedOffset(sizeClass), empty);
            push(magazineAddress(empty), pfn);
            return;
        }
        drain(magazineAddress(loaded), sizeClass); // the depot is full too: back to the tree
        push(magazineAddress(loaded), pfn);
    }

    /**
     * Swaps {@code magazine} with one from the depot: a full one for an empty one when
     * {@code parkFull}, else an empty one for a full one.
     *
     * @return the magazine received, or -1 when the depot is full (parking) or empty (taking).
     */
    /**
     * Parks a full magazine and takes an empty one, or the reverse; a stripe taking a full
     * magazine gets the last one it parked itself when the depot holds one (see
     * {@link DepotDescriptor}).
     *
     * @return the magazine received, or -1 when the depot has none to give.
     */
    private int tradeWithDepot(final long stripeAddress, final int sizeClass, final int magazine, final boolean parkFull)
    {
        final int stripeTag = (int)((stripeAddress - stripesAddress) / stripeLength) + 1;
        final int depotLock = depotLock(sizeClass);
        locks.lock(depotLock);
        try
        {
            final long depot = depotAddress(sizeClass);
            final int fullCount = UnsafeApi.getInt(depot + FULL_COUNT_OFFSET);
            if (parkFull ? fullCount == depotMagazines : fullCount == 0)
            {
                return -1;
            }
            final int slot = parkFull ? fullCount : fullCount - 1;
            if (!parkFull)
            {
                moveOwnFullMagazineTo(depot, slot, stripeTag);
            }
            final long slotAddress = depot + slotOffset(slot);
            final int received = UnsafeApi.getInt(slotAddress);
            UnsafeApi.putInt(slotAddress, magazine);
            UnsafeApi.putInt(depot + tagOffset(depotMagazines, slot), parkFull ? stripeTag : 0);
            UnsafeApi.putInt(depot + FULL_COUNT_OFFSET, parkFull ? fullCount + 1 : fullCount - 1);
            return received;
        }
        finally
        {
            try
            {
                locks.unlock(depotLock);
            }
            catch (final StackOverflowError e)
            {
                locks.overflowedReleases[depotLock].pending = 1; // no call: the next thread to find it held releases it
                throw e;
            }
        }
    }

    /** Swaps the highest full magazine {@code stripeTag} parked, if any, into {@code lastFullSlot}. Under the depot's lock. */
    private void moveOwnFullMagazineTo(final long depot, final int lastFullSlot, final int stripeTag)
    {
        for (int slot = lastFullSlot; slot >= 0; slot--)
        {
            if (UnsafeApi.getInt(depot + tagOffset(depotMagazines, slot)) == stripeTag)
            {
                if (slot != lastFullSlot)
                {
                    final int own = UnsafeApi.getInt(depot + slotOffset(slot));
                    final int otherTag = UnsafeApi.getInt(depot + tagOffset(depotMagazines, lastFullSlot));
                    UnsafeApi.putInt(depot + slotOffset(slot), UnsafeApi.getInt(depot + slotOffset(lastFullSlot)));
                    UnsafeApi.putInt(depot + tagOffset(depotMagazines, slot), otherTag);
                    UnsafeApi.putInt(depot + slotOffset(lastFullSlot), own);
                    UnsafeApi.putInt(depot + tagOffset(depotMagazines, lastFullSlot), stripeTag);
                }
                return;
            }
        }
    }

    /** Pops the highest-placed pfn at or below {@code maxStartPfn} (Linux takes the last such). */
    private static long popWithin(final long magazineAddress, final long maxStartPfn)
    {
        final int count = UnsafeApi.getInt(magazineAddress + COUNT_OFFSET);
        for (int slot = count - 1; slot >= 0; slot--)
        {
            final long pfn = UnsafeApi.getLong(magazineAddress + pfnOffset(slot));
            if (pfn <= maxStartPfn)
            {
                UnsafeApi.putLong(magazineAddress + pfnOffset(slot), UnsafeApi.getLong(magazineAddress + pfnOffset(count - 1)));
                UnsafeApi.putInt(magazineAddress + COUNT_OFFSET, count - 1);
                return pfn;
            }
        }
        return NO_ADDRESS;
    }

    private static void push(final long magazineAddress, final long pfn)
    {
        final int count = UnsafeApi.getInt(magazineAddress + COUNT_OFFSET);
        UnsafeApi.putLong(magazineAddress + pfnOffset(count), pfn);
        UnsafeApi.putInt(magazineAddress + COUNT_OFFSET, count + 1);
    }

    /**
     * Gives every range of a magazine back to the tree. The tree's free is all or nothing
     * ({@code docs/tree.md}, "Faults"): when it throws (an {@code Error} such as a
     * {@link StackOverflowError}), the tree still holds the range, so it goes back into the
     * magazine, neither lost nor freed twice. Putting it back is one write, without a call deeper
     * than the free's own: asking the tree first would need more stack than the free had.
     */
    private void drain(final long magazineAddress, final int sizeClass)
    {
        final long classPages = 1L << sizeClass;
        for (int count = UnsafeApi.getInt(magazineAddress + COUNT_OFFSET); count > 0; count--)
        {
            final long pfn = UnsafeApi.getLong(magazineAddress + pfnOffset(count - 1));
            UnsafeApi.putInt(magazineAddress + COUNT_OFFSET, count - 1);
            try
            {
                backend.freeCached(pfn, classPages);
            }
            catch (final Throwable ex)
            {
                UnsafeApi.putInt(magazineAddress + COUNT_OFFSET, count); // still ours: the tree did not take it
                throw ex;
            }
            counters.incrementAndGet(TREE_FREES);
        }
    }

    /**
     * Marks a range just popped from the stripe's magazines live; if marking throws (an
     * {@link OutOfMemoryError} creating a leaf), pushes it back first, so that no range is lost.
     *
     * @return false when the live map cannot track the range (see {@link LiveRangeMap#markLive}).
     */
    private boolean markLiveOrPutBack(final long stripeAddress, final int sizeClass, final long pfn)
    {
        try
        {
            return liveMap.markLive(pfn, sizeClass, stripeAddress + leafHintOffset(sizeClass));
        }
        catch (final Throwable ex)
        {
            // It came out of the loaded magazine (the previous one is swapped in when it was
            // there), so the loaded one has room for it again.
            push(magazineAddress(UnsafeApi.getInt(stripeAddress + loadedOffset(sizeClass))), pfn);
            throw ex;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The tree, and the one retry after a flush
    // ---------------------------------------------------------------------------------------------

    /**
     * Called with the stripe at {@code stripeAddress} locked, when its magazines have nothing
     * for the request. Classes smaller than {@link TreeRefill#RUN_PAGES} take a whole aligned
     * run from the tree ({@link TreeRefill}), hand out its highest range and keep the others in
     * the loaded magazine; larger classes, or a magazine without room for the run, take one range.
     */
    private long allocFromTree(final long stripeAddress, final int sizeClass, final long limitPfn, final boolean tracked)
    {
        final long classPages = 1L << sizeClass;
        final LiveMarker marker = tracked ? liveMap : null;
        final long hint = stripeAddress + leafHintOffset(sizeClass);
        final long loaded = magazineAddress(UnsafeApi.getInt(stripeAddress + loadedOffset(sizeClass)));
        final int maxRunRanges = TreeRefill.maxRunRanges(sizeClass);
        final int runRanges = UnsafeApi.getInt(loaded + COUNT_OFFSET) + maxRunRanges - 1 <= capacityByClass[sizeClass] ?
            maxRunRanges : 1;
        if (runRanges == 1)
        {
            counters.incrementAndGet(TREE_ALLOCS);
        }
        final long run = backend.allocCachedRun(classPages, runRanges, limitPfn, marker, sizeClass, hint);
        if (run == NO_ADDRESS)
        {
            return NO_ADDRESS;
        }
        if (run == TreeRefill.UNTRACKABLE)
        {
            // The live map cannot track this window: hand out an ordinary tree range instead.
            counters.incrementAndGet(UNTRACKED);
            return backend.allocUntracked(classPages, limitPfn);
        }
        final long pfn = TreeRefill.runTopPfn(run);
        final int ranges = TreeRefill.runLength(run);
        if (runRanges > 1)
        {
            counters.addAndGet(TREE_ALLOCS, ranges);
        }
        for (int i = ranges - 1; i >= 1; i--)
        {
            push(loaded, pfn - i * classPages); // the lowest first: they pop highest first
        }
        return pfn;
    }

    /** The live map cannot track the window of cached range {@code pfn}: give it back and hand out an ordinary tree range instead. */
    private long untrackedInstead(final long pfn, final int sizeClass, final long limitPfn)
    {
        final long classPages = 1L << sizeClass;
        backend.freeCached(pfn, classPages);
        counters.incrementAndGet(UNTRACKED);
        return backend.allocUntracked(classPages, limitPfn);
    }

    private long allocAfterFlush(final int sizeClass, final long limitPfn, final boolean tracked)
    {
        flush();
        final int stripe = lockAnyStripe();
        try
        {
            return allocFromTree(stripeAddress(stripe), sizeClass, limitPfn, tracked);
        }
        finally
        {
            try
            {
                locks.unlock(stripe);
            }
            catch (final StackOverflowError e)
            {
                locks.overflowedReleases[stripe].pending = 1; // no call: the next thread to find it held releases it
                throw e;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Locks, addresses, counters
    // ---------------------------------------------------------------------------------------------

    /** Locks a stripe for the calling thread (by its probe, see {@link StripedSpinLocks}) and returns its index. */
    private int lockAnyStripe()
    {
        return locks.lockAny();
    }

    private int depotLock(final int sizeClass)
    {
        return stripes + sizeClass;
    }

    private int magazinesPerClass()
    {
        return 2 * stripes + depotMagazines;
    }

    private long stripeAddress(final int stripe)
    {
        return stripesAddress + (long)stripe * stripeLength;
    }

    private long depotAddress(final int sizeClass)
    {
        return depotsAddress + (long)sizeClass * depotLength;
    }

    private long magazineAddress(final int magazine)
    {
        return magazinesAddress + (long)magazine * magazineLength;
    }

    private int count(final int magazine)
    {
        return UnsafeApi.getInt(magazineAddress(magazine) + COUNT_OFFSET);
    }

    private static long alignUp(final long address, final int alignment)
    {
        return (address + alignment - 1) & -(long)alignment;
    }

    /** @return the first stripe's address: a multiple of {@link StripeDescriptor#STRIPE_ALIGNMENT} (tests). */
    long stripesAddress()
    {
        return stripesAddress;
    }

    /** Adds one to a stripe's counter: only the stripe's lock holder writes it, so a plain write does. */
    private static void incrementOwned(final long counterAddress)
    {
        UnsafeApi.putLong(counterAddress, UnsafeApi.getLong(counterAddress) + 1);
    }
}
