package dev.iova;

import java.util.Arrays;

import dev.iova.cache.RangeCache;
import dev.iova.cache.RangeCacheStats;
import dev.iova.cache.TreeRefill;
import dev.iova.concurrent.SpinLock;
import dev.iova.internal.DomainAccess;
import dev.iova.tree.Gaps;
import dev.iova.tree.IntervalTree;
import dev.iova.tree.LeafDescriptor;

/**
 * An I/O virtual address space: hands out ranges of page frame numbers (pfns) and takes them back.
 *
 * <h2>Semantics</h2>
 * The semantics are those of Linux's {@code drivers/iommu/iova.c}, made deterministic:
 * <ul>
 *   <li>A domain has a granule ({@link #granuleBytes()}, a power of two), a lowest usable pfn
 *       ({@link #startPfn()}, usually 1 so that {@link #NO_ADDRESS} can never be a real
 *       result) and a highest usable pfn ({@link #lastPfn()}, the aperture end).</li>
 *   <li>{@link #alloc(long, long, boolean)} places a range at the <b>highest</b> position that
 *       fits: last pfn {@code <= limitPfn}, first pfn {@code >= startPfn}, no overlap with any live
 *       or reserved range and, when size-aligned, the first pfn a multiple of {@code pages}
 *       rounded up to a power of two. The result depends only on the request and the ranges
 *       in the domain, never on history.</li>
 *   <li>Allocation costs O(log n) in the worst case, whatever the fragmentation, including
 *       requests that cannot be satisfied (see {@code docs/tree.md}).</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * Running out of addresses is not an error: {@code alloc} returns {@link #NO_ADDRESS}. Misuse
 * (a size of zero or less, a limit below {@code startPfn}, an unknown, misaligned, double or
 * reserved free, a reserve that overlaps a live allocation, any call after {@link #close()})
 * throws {@link IllegalArgumentException} or {@link IllegalStateException} with the values
 * involved, and leaves the domain exactly as it was.
 *
 * <h2>Threads and memory</h2>
 * Every method is safe to call from many threads; the tree is guarded by one lock (a
 * {@link SpinLock}: a compare-and-set to take it, a release store to give it back; the range
 * caches in {@code dev.iova.cache} keep most calls away from it). The lock is not reentrant: a
 * visitor that calls back into its domain gets an {@link IllegalStateException}. Ranges live off-heap in
 * the leaves of a B-tree, 15 to a {@value dev.iova.tree.LeafDescriptor#LEAF_LENGTH}-byte leaf, in
 * chunks that grow on demand up to {@link Builder#maxRanges(int)}; {@link #alloc},
 * {@link #free(long)} and {@link #free(long, long)} allocate nothing on the Java heap once the
 * chunk they need exists. An {@link OutOfMemoryError} (direct memory) or {@link StackOverflowError}
 * thrown inside the tree leaves it exactly as it was.
 * {@link #close()} returns all off-heap memory at once. A domain that becomes unreachable without
 * being closed is freed by a {@link java.lang.ref.Cleaner} (close it anyway: that is immediate).
 *
 * <h2>Range caches</h2>
 * {@link #allocFast(long, long)} and {@link #freeFast(long, long)} put magazines of recently
 * freed ranges in front of the tree (Linux's {@code alloc_iova_fast}/{@code free_iova_fast}):
 * requests of up to {@link #maxCachedPages()} pages are rounded up to a power of two, always
 * size-aligned, and most of them never take the tree's lock. See {@code dev.iova.cache}.
 * Ranges sitting in a cache count as allocated in the tree ({@link #liveRanges()}) until
 * {@link #flushCaches()} gives them back.
 *
 * <pre>{@code
 * try (IovaDomain domain = IovaDomain.builder().granuleBytes(4096).startPfn(1).build()) {
 *     long pfn = domain.alloc(8, 0xfffffL, true);   // 8 pages below 4 GiB, 8-page aligned
 *     if (pfn == IovaDomain.NO_ADDRESS) { ... }    // the space below the limit is full
 *     domain.free(pfn, 8);
 * }
 * }</pre>
 */
public final class IovaDomain implements AutoCloseable
{
    /**
     * The highest pfn a domain can use: pfns are 56-bit (a 68-bit address space with a 4 KiB
     * granule), which frees the node's top byte for its balance and flags.
     */
    public static final long MAX_PFN = LeafDescriptor.MAX_PFN;

    /** What {@link #alloc} returns when no range fits: pfn 0, which a domain with {@code startPfn >= 1} never hands out. */
    public static final long NO_ADDRESS = 0L;

    static
    {
        DomainAccess.install(new TrustedAccess());
    }

    private final SpinLock lock; // created after AgronaAccess's check: its class reads Agrona's Unsafe
    private final long granuleBytes;
    private final int granuleShift;
    private final long startPfn;
    private final long lastPfn;
    private final IntervalTree tree;
    private final RangeCache cache;
    private final long maxCachedPages;
    private final RangeCache.Backend treeBackend = new TreeBackend(); // held here: the cache holds it weakly
    private ReservationBook book; // replaced, never changed, under the lock
    private final Fit defaultFit;
    private final java.lang.ref.Cleaner.Cleanable cleanable;
    private volatile boolean closed;

    private IovaDomain(final Builder builder)
    {
        AgronaAccess.ensureAvailable();
        this.lock = new SpinLock("this thread already holds the domain's lock: a visitor or callback called back into the domain");
        this.granuleBytes = builder.granuleBytes;
        this.granuleShift = Long.numberOfTrailingZeros(builder.granuleBytes);
        this.startPfn = builder.startPfn;
        this.lastPfn = builder.lastPfn != UNSET ? builder.lastPfn : defaultLastPfn(granuleShift);
        if (lastPfn < startPfn)
        {
            throw new IllegalArgumentException(
                "lastPfn=0x" + Long.toHexString(lastPfn) + " is below startPfn=0x" + Long.toHexString(startPfn));
        }
        this.tree = new IntervalTree(startPfn, lastPfn, builder.maxRanges, builder.chunkRanges);
        this.book = new ReservationBook(startPfn, lastPfn);
        this.defaultFit = builder.fit;
        if (builder.maxCachedPages > 0)
        {
            this.maxCachedPages = builder.maxCachedPages;
            final int stripes = builder.cacheStripes > 0 ? builder.cacheStripes : Builder.defaultStripes();
            this.cache = new RangeCache(new DomainCleanup.WeakBackend(treeBackend), sizeClassOf(maxCachedPages) + 1, stripes,
                builder.magazineRanges, builder.depotMagazines);
            this.cleanable = DomainCleanup.register(this, cache); // an unreachable domain frees the cache's native memory
        }
        else
        {
            this.maxCachedPages = 0;
            this.cache = null;
            this.cleanable = null;
        }
    }

    /**
     * A builder with the defaults: 4 KiB granule, {@code startPfn} 1, the aperture as large as
     * a 64-bit address space allows for the granule, and room for up to
     * {@link Builder#DEFAULT_MAX_RANGES} ranges.
     *
     * @return a new builder.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /** @return the page size in bytes, a power of two. */
    public long granuleBytes()
    {
        return granuleBytes;
    }

    /** @return log2 of {@link #granuleBytes()}: {@code address >>> granuleShift()} is a pfn. */
    public int granuleShift()
    {
        return granuleShift;
    }

    /** @return the lowest pfn this domain hands out. */
    public long startPfn()
    {
        return startPfn;
    }

    /** @return the fit {@link #alloc(long, long, boolean)} uses ({@link Builder#fit(Fit)}). */
    public Fit fit()
    {
        return defaultFit;
    }

    /** @return the highest pfn this domain hands out (inclusive): the aperture end. */
    public long lastPfn()
    {
        return lastPfn;
    }

    /**
     * Allocates {@code pages} contiguous pfns at the highest position that fits, searching
     * top-down from {@code limitPfn} (or as the domain's {@link Builder#fit(Fit) fit policy} says).
     *
     * @param pages       how many pages, at least 1.
     * @param limitPfn    the highest pfn the range may use (inclusive), at least {@link #startPfn()};
     *                    values above {@link #lastPfn()} mean {@code lastPfn()}.
     * @param sizeAligned when true, the first pfn is a multiple of {@code pages} rounded up to a
     *                    power of two (the DMA-layer convention).
     * @return the first pfn of the range, or {@link #NO_ADDRESS} when nothing fits.
     * @throws IllegalArgumentException when {@code pages < 1} or {@code limitPfn < startPfn()}.
     * @throws IllegalStateException    after {@link #close()}.
     */
    public long alloc(final long pages, final long limitPfn, final boolean sizeAligned)
    {
        if (pages < 1 || limitPfn < startPfn)
        {
            throw badAlloc(pages, limitPfn);
        }
        lock.lock();
        try
        {
            checkOpen();
            if (defaultFit == Fit.HIGHEST)
            {
                return tree.alloc(pages, Math.min(limitPfn, lastPfn), sizeAligned);
            }
            return tree.alloc(pages, Math.min(limitPfn, lastPfn), sizeAligned ? Gaps.sizeAlignment(pages) : 1, fitCode(defaultFit),
                LeafDescriptor.KIND_ALLOCATED);
        }
        finally
        {
            try
            {
                lock.unlock();
            }
            catch (final StackOverflowError e)
            {
                lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                throw e;
            }
        }
    }

    /**
     * Allocates {@code pages} contiguous pfns whose first pfn is a multiple of {@code alignPages},
     * ending at or below {@code limitPfn}, placed by {@code fit}. Highest and lowest fit with no
     * alignment or the size alignment ({@code pages} rounded up to a power of two) take O(log n)
     * whatever the fragmentation; other alignments and best fit may visit more of the tree
     * ({@code docs/tree.md}, "Placement", gives each bound).
     *
     * @param pages      how many pages, at least 1.
     * @param limitPfn   the highest pfn the range may use (inclusive), at least {@link #startPfn()};
     *                   values above {@link #lastPfn()} mean {@code lastPfn()}.
     * @param alignPages a power of two: the first pfn is a multiple of it (1: no alignment).
     * @param fit        where among the candidates.
     * @return the first pfn of the range, or {@link #NO_ADDRESS} when nothing fits.
     * @throws IllegalArgumentException when {@code pages < 1}, {@code limitPfn < startPfn()},
     *                                  {@code alignPages} is not a power of two or {@code fit} is null.
     * @throws IllegalStateException    after {@link #close()}.
     */
    public long alloc(final long pages, final long limitPfn, final long alignPages, final Fit fit)
    {
        if (pages < 1 || limitPfn < startPfn)
        {
            throw badAlloc(pages, limitPfn);
        }
        if (alignPages < 1 || Long.bitCount(alignPages) != 1 || fit == null)
        {
            throw new IllegalArgumentException(fit == null ? "fit is null: pass Fit.HIGHEST, Fit.LOWEST or Fit.BEST" :
                "alignPages=" + alignPages + " must be a power of two (1 for no alignment)");
        }
        lock.lock();
        try
        {
            checkOpen();
            return tree.alloc(pages, Math.min(limitPfn, lastPfn), alignPages, fitCode(fit), LeafDescriptor.KIND_ALLOCATED);
        }
        finally
        {
            try
            {
                lock.unlock();
            }
            catch (final StackOverflowError e)
            {
                lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                throw e;
            }
        }
    }

    /**
     * Allocates exactly {@code [pfn, pfn + pages - 1]} when every pfn of it is free and allowed,
     * in O(log n). Ranges held by the range caches count as free: the caches are flushed and the
     * request tried again.
     *
     * @param pfn   the first pfn.
     * @param pages how many pages, at least 1.
     * @return {@link AllocAtOutcome#PLACED}, or the first reason, in the enum's order, why not;
     *         the domain is then unchanged.
     * @throws IllegalArgumentException when {@code pages < 1}.
     * @throws IllegalStateException    after {@link #close()}.
     */
    public AllocAtOutcome allocAt(final long pfn, final long pages)
    {
        if (pages < 1)
        {
            throw new IllegalArgumentException("pages=" + pages + " must be at least 1 (pfn=0x" + Long.toHexString(pfn) + ")");
        }
        if (pfn < startPfn || pfn > lastPfn || pages - 1 > lastPfn - pfn)
        {
            return AllocAtOutcome.OUTSIDE_DOMAIN;
        }
        final long hiPfn = pfn + pages - 1;
        for (int attempt = 0; ; attempt++)
        {
            final int outcome;
            lock.lock();
            try
            {
                checkOpen();
                if (!book.insideAllowed(pfn, hiPfn))
                {
                    return AllocAtOutcome.OUTSIDE_ALLOWED;
                }
                outcome = tree.allocAt(pfn, hiPfn, LeafDescriptor.KIND_ALLOCATED);
            }
            finally
            {
                try
                {
                    lock.unlock();
                }
                catch (final StackOverflowError e)
                {
                    lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                    throw e;
                }
            }
            switch (outcome)
            {
                case IntervalTree.AT_PLACED:
                    return AllocAtOutcome.PLACED;
                case IntervalTree.AT_RESERVED:
                    return AllocAtOutcome.RESERVED;
                case IntervalTree.AT_LIVE:
                    return AllocAtOutcome.LIVE;
                case IntervalTree.AT_FULL:
                    return AllocAtOutcome.FULL;
                default: // only cached ranges in the way: take them back and try once more
                    if (attempt > 0)
                    {
                        return AllocAtOutcome.LIVE; // another thread cached or allocated there in between
                    }
                    flushCaches();
            }
        }
    }

    private static int fitCode(final Fit fit)
    {
        return fit == Fit.HIGHEST ? IntervalTree.FIT_HIGHEST : fit == Fit.LOWEST ? IntervalTree.FIT_LOWEST : IntervalTree.FIT_BEST;
    }

    /**
     * Frees the allocated range that contains {@code pfn} (any of its pfns), as Linux's
     * {@code free_iova} does.
     *
     * @param pfn a pfn inside a live allocation.
     * @throws IllegalArgumentException when no allocation holds {@code pfn} (never allocated,
     *                                  or already freed) or {@code pfn} is reserved.
     * @throws IllegalStateException    after {@link #close()}.
     */
    public void free(final long pfn)
    {
        lock.lock();
        try
        {
            checkOpen();
            tree.free(pfn, 0L, LeafDescriptor.KIND_ALLOCATED);
        }
        finally
        {
            try
            {
                lock.unlock();
            }
            catch (final StackOverflowError e)
            {
                lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                throw e;
            }
        }
    }

    /**
     * Frees exactly the allocation {@code [pfn, pfn + pages - 1]}; rejects any mismatch.
     *
     * @param pfn   the first pfn of a live allocation.
     * @param pages its length in pages.
     * @throws IllegalArgumentException when no allocation starts at {@code pfn}, its length is
     *                                  not {@code pages}, or the range is reserved.
     * @throws IllegalStateException    after {@link #close()}.
     */
    public void free(final long pfn, final long pages)
    {
        if (pages < 1)
        {
            throw new IllegalArgumentException("pages=" + pages + " must be at least 1 (pfn=0x" + Long.toHexString(pfn) + ")");
        }
        lock.lock();
        try
        {
            checkOpen();
            tree.free(pfn, pages, LeafDescriptor.KIND_ALLOCATED);
        }
        finally
        {
            try
            {
                lock.unlock();
            }
            catch (final StackOverflowError e)
            {
                lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                throw e;
            }
        }
    }

    /**
     * Allocates through the range caches: a size-aligned range of {@code pages} rounded up to a
     * power of two, ending at or below {@code limitPfn}. Requests larger than
     * {@link #maxCachedPages()}, or every request when the caches are off, go to
     * {@link #alloc(long, long, boolean) alloc(pages, limitPfn, true)}. When the tree has no room,
     * every cache is flushed back and the tree is asked once more, so the caches never make an
     * allocation fail that the tree alone would satisfy.
     *
     * @param pages    how many pages, at least 1.
     * @param limitPfn the highest pfn the range may use (inclusive), at least {@link #startPfn()}.
     * @return the first pfn, or {@link #NO_ADDRESS} when nothing fits.
     * @throws IllegalArgumentException when {@code pages < 1} or {@code limitPfn < startPfn()}.
     * @throws IllegalStateException    after {@link #close()}.
     */
    public long allocFast(final long pages, final long limitPfn)
    {
        if (isCachedRequest(pages, limitPfn))
        {
            return cache.allocFast(sizeClassOf(pages), Math.min(limitPfn, lastPfn));
        }
        return allocFastUncached(pages, limitPfn);
    }

    /**
     * Whether a request takes the caches' path: {@code 1 <= pages <= maxCachedPages} and
     * {@code startPfn <= limitPfn}, in one branch. The fast paths are kept to as few branches as
     * they can be (see {@code StripedSpinLocks} on why). No difference below overflows: when
     * {@code limitPfn} is negative its own sign bit sends the request to the checks, and
     * {@code startPfn} is at least 1; {@code pages = Long.MIN_VALUE} makes
     * {@code maxCachedPages - pages} negative.
     */
    private boolean isCachedRequest(final long pages, final long limitPfn)
    {
        return ((pages - 1) | (maxCachedPages - pages) | limitPfn | (limitPfn - startPfn)) >= 0;
    }

    /** {@link #isCachedRequest} for a free: {@code 1 <= pages <= maxCachedPages}, in one branch. */
    private boolean isCachedFree(final long pages)
    {
        return ((pages - 1) | (maxCachedPages - pages)) >= 0;
    }

    /** {@link #allocFast} for bad input, a request larger than the caches' classes, or caches off. */
    private long allocFastUncached(final long pages, final long limitPfn)
    {
        if (pages < 1 || limitPfn < startPfn)
        {
            throw badAlloc(pages, limitPfn);
        }
        // pages > maxCachedPages: isCachedRequest said no to good input
        final long pfn = alloc(pages, limitPfn, true);
        if (pfn != NO_ADDRESS || cache == null)
        {
            return pfn;
        }
        cache.flush(); // ranges sitting in the caches may be what blocks a large request
        return alloc(pages, limitPfn, true);
    }

    /**
     * Frees a range that {@link #allocFast(long, long)} handed out, into the caller's cache. Any
     * thread may free any range. Ordinary ranges from {@link #alloc} are accepted too and go
     * to the tree.
     *
     * @param pfn   the first pfn of the range.
     * @param pages the length it was allocated with (any length that rounds up to the same power of two).
     * @throws IllegalArgumentException when {@code pfn} is not the start of a live range of that
     *                                  size: double free, unknown or misaligned pfn; nothing changes.
     * @throws IllegalStateException    after {@link #close()}.
     */
    public void freeFast(final long pfn, final long pages)
    {
        if (isCachedFree(pages))
        {
            cache.freeFast(pfn, pages, sizeClassOf(pages));
            return;
        }
        freeFastUncached(pfn, pages);
    }

    /** {@link #freeFast} for bad input, a range larger than the caches' classes, or caches off. */
    private void freeFastUncached(final long pfn, final long pages)
    {
        if (pages < 1)
        {
            throw new IllegalArgumentException("pages=" + pages + " must be at least 1 (pfn=0x" + Long.toHexString(pfn) + ")");
        }
        free(pfn, pages); // pages > maxCachedPages: isCachedFree said no to good input
    }

    /** {@link #allocFast}, untracked: see {@link DomainAccess#allocFastTrusted}. */
    private long allocFastTrusted(final long pages, final long limitPfn)
    {
        if (isCachedRequest(pages, limitPfn))
        {
            return cache.allocFastTrusted(sizeClassOf(pages), Math.min(limitPfn, lastPfn));
        }
        return allocFastUncached(pages, limitPfn); // bad input throws there, as allocFast's
    }

    /** {@link #freeFast}, unchecked: see {@link DomainAccess#freeFastTrusted}. */
    private void freeFastTrusted(final long pfn, final long pages)
    {
        if (pages > maxCachedPages)
        {
            free(pfn, pages);
            return;
        }
        cache.freeFastTrusted(pfn, sizeClassOf(pages));
    }

    /** The DMA layer's way in to the two methods above. */
    private static final class TrustedAccess extends DomainAccess
    {
        @Override
        public long allocFastTrusted(final IovaDomain domain, final long pages, final long limitPfn)
        {
            return domain.allocFastTrusted(pages, limitPfn);
        }

        @Override
        public void freeFastTrusted(final IovaDomain domain, final long pfn, final long pages)
        {
            domain.freeFastTrusted(pfn, pages);
        }
    }

    /**
     * Gives every range held in the caches back to the tree (before inspecting or resizing the
     * space; the domain also does it on exhaustion and before a reserve). Does nothing when the
     * caches are off.
     *
     * @throws IllegalStateException after {@link #close()}.
     */
    public void flushCaches()
    {
        if (cache != null)
        {
            cache.flush();
        }
        else
        {
            checkOpenUnlocked();
        }
    }

    /**
     * @return the caches' counters; all zero when the caches are off.
     * @throws IllegalStateException after {@link #close()}.
     */
    public RangeCacheStats cacheStats()
    {
        if (cache == null)
        {
            checkOpenUnlocked();
            return RangeCacheStats.NONE;
        }
        return cache.stats();
    }

    /**
     * The off-heap bytes the range caches hold now, part of {@link #offHeapBytes()}: their stripes,
     * depots and magazines, allocated once when the domain is built, whatever the number of threads,
     * and the live map, whose directory is allocated then too and which adds one 32 KiB leaf per
     * size class and per window of 32 Ki slots of that class that the caches have handed a range
     * from (a class-0 leaf covers 128 MiB of address space at a 4 KiB granule), at most 1,024 per
     * class. Nothing here grows with the threads that use the caches ({@code docs/caches.md}).
     *
     * @return the bytes; 0 when the caches are off, and after {@link #close()}.
     */
    public long cacheOffHeapBytes()
    {
        return cache == null ? 0 : cache.offHeapBytes();
    }

    /** @return the largest request the caches serve, in pages (a power of two); 0 when they are off. */
    public long maxCachedPages()
    {
        return maxCachedPages;
    }

    /**
     * Finds the range (allocated or reserved) that contains {@code pfn}.
     *
     * @param pfn any pfn.
     * @return the range, or {@code null} when {@code pfn} is free or outside the domain.
     * @throws IllegalStateException after {@link #close()}.
     */
    public IovaRange find(final long pfn)
    {
        lock.lock();
        try
        {
            checkOpen();
            return tree.find(pfn) ?
                new IovaRange(tree.foundLoPfn(), tree.foundHiPfn(), tree.foundKind() == LeafDescriptor.KIND_RESERVED) : null;
        }
        finally
        {
            try
            {
                lock.unlock();
            }
            catch (final StackOverflowError e)
            {
                lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                throw e;
            }
        }
    }

    /**
     * Reserves {@code [loPfn, hiPfn]} so that it is never handed out. Reserved ranges that
     * overlap or touch the new one merge with it; reserving what is already reserved changes
     * nothing.
     *
     * @param loPfn first pfn, at least {@link #startPfn()}.
     * @param hiPfn last pfn (inclusive), at least {@code loPfn}, at most {@link #lastPfn()}.
     * @throws IllegalArgumentException when the range is empty, leaves the domain, or overlaps a
     *                                  live allocation; the domain is then unchanged.
     * @throws IllegalStateException    after {@link #close()}.
     */
    public void reserve(final long loPfn, final long hiPfn)
    {
        checkReserveBounds(loPfn, hiPfn);
        flushCaches(); // a range sitting in a cache is free for the user and must not block a reserve
        lock.lock();
        try
        {
            checkOpen();
            final ReservationBook next = book.withReservation(loPfn, hiPfn, null);
            tree.reserve(loPfn, hiPfn);
            book = next; // no call between the tree's commit and this write: nothing can come between them
        }
        finally
        {
            try
            {
                lock.unlock();
            }
            catch (final StackOverflowError e)
            {
                lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                throw e;
            }
        }
    }

    /**
     * Reserves {@code [loPfn, hiPfn]} for {@code owner}, as iommufd tags reserved ranges with the
     * device, group or domain that asked for them. Reservations of one owner (or unowned ones)
     * that overlap or touch merge; reservations of different owners may overlap and coexist:
     * {@link #unreserve(String)} frees only the pfns no other reservation covers.
     *
     * @param loPfn first pfn, at least {@link #startPfn()}.
     * @param hiPfn last pfn (inclusive), at least {@code loPfn}, at most {@link #lastPfn()}.
     * @param owner who holds it; {@code null} for an unowned reservation (as {@link #reserve(long, long)}).
     * @return true when reserved; false, the domain unchanged, when a live allocation overlaps the range.
     * @throws IllegalArgumentException when the range is empty or leaves the domain.
     * @throws IllegalStateException    after {@link #close()}, or when the domain holds its maximum of ranges.
     */
    public boolean reserve(final long loPfn, final long hiPfn, final String owner)
    {
        checkReserveBounds(loPfn, hiPfn);
        flushCaches();
        lock.lock();
        try
        {
            checkOpen();
            if (tree.overlapsAllocation(loPfn, hiPfn))
            {
                return false;
            }
            final ReservationBook next = book.withReservation(loPfn, hiPfn, owner);
            tree.reserve(loPfn, hiPfn);
            book = next;
            return true;
        }
        finally
        {
            try
            {
                lock.unlock();
            }
            catch (final StackOverflowError e)
            {
                lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                throw e;
            }
        }
    }

    /**
     * Removes every reservation of {@code owner}; the pfns that another owner's reservation (or
     * an unowned one, or the complement of the allowed ranges) still covers stay reserved. All or
     * nothing.
     *
     * @param owner the owner given to {@link #reserve(long, long, String)}.
     * @return how many of its reservations (after merging) were removed; 0 when it holds none.
     * @throws IllegalArgumentException when {@code owner} is null.
     * @throws IllegalStateException    after {@link #close()}.
     */
    public int unreserve(final String owner)
    {
        if (owner == null)
        {
            throw new IllegalArgumentException("owner is null: unowned reservations cannot be removed by owner");
        }
        lock.lock();
        try
        {
            checkOpen();
            final java.util.TreeMap<Long, Long> ranges = book.reservationsOf(owner);
            if (ranges == null)
            {
                return 0;
            }
            final ReservationBook next = book.withoutOwner(owner);
            editReserved(book.uncovered(ranges, owner, true), java.util.List.of());
            book = next;
            return ranges.size();
        }
        finally
        {
            try
            {
                lock.unlock();
            }
            catch (final StackOverflowError e)
            {
                lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                throw e;
            }
        }
    }

    /**
     * Allows {@code [loPfn, hiPfn]} (iommufd's {@code IOMMU_IOAS_ALLOW_IOVAS}): once any range is
     * allowed, {@link #alloc} and {@link #allocAt} place ranges only wholly inside one allowed
     * range (allowed ranges that overlap or touch merge). The pfns outside every allowed range
     * are held in the tree as reserved, so {@link #forEachRange}, {@link #find} and
     * {@link #reservedRanges()} report them as reserved; {@link #forEachReservation} does not.
     * The range caches are flushed first.
     *
     * @param loPfn first pfn, at least {@link #startPfn()}.
     * @param hiPfn last pfn (inclusive), at least {@code loPfn}, at most {@link #lastPfn()}.
     * @throws IllegalArgumentException when the range is empty or leaves the domain.
     * @throws IllegalStateException    after {@link #close()}, or, the domain unchanged, when this
     *                                  is the first allowed range and a live allocation lies outside it.
     */
    public void allow(final long loPfn, final long hiPfn)
    {
        if (hiPfn < loPfn || loPfn < startPfn || hiPfn > lastPfn)
        {
            throw new IllegalArgumentException("cannot allow [0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) +
                "]: " + (hiPfn < loPfn ? "hiPfn is below loPfn" :
                "outside the domain [0x" + Long.toHexString(startPfn) + ", 0x" + Long.toHexString(lastPfn) + "]"));
        }
        flushCaches();
        lock.lock();
        try
        {
            checkOpen();
            final ReservationBook next = book.withAllowed(loPfn, hiPfn);
            if (!book.hasAllowed())
            {
                final java.util.List<long[]> outside = new java.util.ArrayList<>();
                if (loPfn > startPfn)
                {
                    outside.add(new long[] {startPfn, loPfn - 1});
                }
                if (hiPfn < lastPfn)
                {
                    outside.add(new long[] {hiPfn + 1, lastPfn});
                }
                for (final long[] r : outside)
                {
                    if (tree.overlapsAllocation(r[0], r[1]))
                    {
                        throw new IllegalStateException("cannot allow only [0x" + Long.toHexString(loPfn) + ", 0x" +
                            Long.toHexString(hiPfn) + "]: live allocation " + tree.foundRange() + " lies outside it");
                    }
                }
                editReserved(java.util.List.of(), outside);
            }
            else
            {
                final java.util.TreeMap<Long, Long> added = new java.util.TreeMap<>();
                book.notYetAllowed(loPfn, hiPfn).forEach(r -> added.put(r[0], r[1]));
                // Allowed from now on: free what no reservation covers (the complement is not counted).
                editReserved(book.uncovered(added, null, false), java.util.List.of());
            }
            book = next;
        }
        finally
        {
            try
            {
                lock.unlock();
            }
            catch (final StackOverflowError e)
            {
                lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                throw e;
            }
        }
    }

    private void editReserved(final java.util.List<long[]> unreserve, final java.util.List<long[]> reserve)
    {
        final long[] unreserveLo = new long[unreserve.size()];
        final long[] unreserveHi = new long[unreserve.size()];
        for (int i = 0; i < unreserveLo.length; i++)
        {
            unreserveLo[i] = unreserve.get(i)[0];
            unreserveHi[i] = unreserve.get(i)[1];
        }
        final long[] reserveLo = new long[reserve.size()];
        final long[] reserveHi = new long[reserve.size()];
        for (int i = 0; i < reserveLo.length; i++)
        {
            reserveLo[i] = reserve.get(i)[0];
            reserveHi[i] = reserve.get(i)[1];
        }
        tree.editReserved(unreserveLo, unreserveHi, unreserveLo.length, reserveLo, reserveHi, reserveLo.length);
    }

    /**
     * Calls {@code visitor} for every allowed range (after merging), ascending, with
     * {@code reserved == false}; nothing when no range was allowed (then every pfn is).
     *
     * @param visitor receives each range, under the domain's lock: it must not call back into this domain (a call back throws {@link IllegalStateException}).
     */
    public void forEachAllowed(final RangeVisitor visitor)
    {
        lock.lockForCallbacks();
        try
        {
            checkOpen();
            book.forEachAllowed(visitor);
        }
        finally
        {
            try
            {
                lock.unlock();
            }
            catch (final StackOverflowError e)
            {
                lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                throw e;
            }
        }
    }

    /**
     * Calls {@code visitor} for every reservation, per owner after merging, ascending by first
     * pfn (unowned first, then by owner name, on equal first pfns). The complement of the allowed
     * ranges is not a reservation and is not visited.
     *
     * @param visitor receives each reservation, under the domain's lock: it must not call back into this domain (a call back throws {@link IllegalStateException}).
     */
    public void forEachReservation(final ReservationVisitor visitor)
    {
        lock.lockForCallbacks();
        try
        {
            checkOpen();
            book.forEachReservation(visitor);
        }
        finally
        {
            try
            {
                lock.unlock();
            }
            catch (final StackOverflowError e)
            {
                lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                throw e;
            }
        }
    }

    /**
     * Reserves several ranges at once, all or nothing: when any of them is out of bounds,
     * overlaps a live allocation, or the domain lacks room for them ({@link Builder#maxRanges}),
     * none is reserved.
     *
     * @param loPfns first pfns.
     * @param hiPfns last pfns (inclusive), same length as {@code loPfns}.
     * @throws IllegalArgumentException as {@link #reserve(long, long)}, for the first bad range.
     * @throws IllegalStateException    after {@link #close()}, or when the ranges need more room than is left.
     */
    public void reserveAll(final long[] loPfns, final long[] hiPfns)
    {
        if (loPfns.length != hiPfns.length)
        {
            throw new IllegalArgumentException(
                "loPfns.length=" + loPfns.length + " differs from hiPfns.length=" + hiPfns.length);
        }
        for (int i = 0; i < loPfns.length; i++)
        {
            checkReserveBounds(loPfns[i], hiPfns[i]);
        }
        // The ranges merged among themselves, in order: what the tree will hold once they are in.
        final Integer[] order = new Integer[loPfns.length];
        for (int i = 0; i < order.length; i++)
        {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Long.compare(loPfns[a], loPfns[b]));
        final long[] mergedLoPfns = new long[loPfns.length];
        final long[] mergedHiPfns = new long[loPfns.length];
        int merged = 0;
        for (final int i : order)
        {
            if (merged > 0 && loPfns[i] <= mergedHiPfns[merged - 1] + 1)
            {
                mergedHiPfns[merged - 1] = Math.max(mergedHiPfns[merged - 1], hiPfns[i]);
            }
            else
            {
                mergedLoPfns[merged] = loPfns[i];
                mergedHiPfns[merged] = hiPfns[i];
                merged++;
            }
        }
        flushCaches();
        lock.lock();
        try
        {
            checkOpen();
            for (int i = 0; i < merged; i++)
            {
                tree.checkNoAllocationOverlaps(mergedLoPfns[i], mergedHiPfns[i]);
            }
            tree.checkCapacityToReserve(mergedLoPfns, mergedHiPfns, merged);
            ReservationBook next = book;
            for (int i = 0; i < merged; i++)
            {
                next = next.withReservation(mergedLoPfns[i], mergedHiPfns[i], null);
            }
            // One journaled update for all of them: a Throwable anywhere leaves none reserved.
            tree.editReserved(new long[0], new long[0], 0, mergedLoPfns, mergedHiPfns, merged);
            book = next;
        }
        finally
        {
            try
            {
                lock.unlock();
            }
            catch (final StackOverflowError e)
            {
                lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                throw e;
            }
        }
    }

    /** @return how many allocations are live (reserved ranges not counted). */
    public long liveRanges()
    {
        lock.lock();
        try
        {
            checkOpen();
            return tree.allocatedRanges();
        }
        finally
        {
            try
            {
                lock.unlock();
            }
            catch (final StackOverflowError e)
            {
                lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                throw e;
            }
        }
    }

    /** @return how many reserved ranges there are, after merging. */
    public long reservedRanges()
    {
        lock.lock();
        try
        {
            checkOpen();
            return tree.reservedRanges();
        }
        finally
        {
            try
            {
                lock.unlock();
            }
            catch (final StackOverflowError e)
            {
                lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                throw e;
            }
        }
    }

    /**
     * Counts the free pfns in {@code [startPfn, limitPfn]}. Walks every range below the limit:
     * meant for inspection and tests, not for a hot path.
     *
     * @param limitPfn highest pfn counted (inclusive); values above {@link #lastPfn()} mean {@code lastPfn()}.
     * @return free pfns at or below {@code limitPfn}; 0 when {@code limitPfn < startPfn}.
     */
    public long freePages(final long limitPfn)
    {
        lock.lock();
        try
        {
            checkOpen();
            return limitPfn < startPfn ? 0 : tree.freePages(Math.min(limitPfn, lastPfn));
        }
        finally
        {
            try
            {
                lock.unlock();
            }
            catch (final StackOverflowError e)
            {
                lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                throw e;
            }
        }
    }

    /**
     * The length of the longest run of free pfns at or below {@code limitPfn}, in O(log n).
     *
     * @param limitPfn highest pfn considered (inclusive); values above {@link #lastPfn()} mean {@code lastPfn()}.
     * @return the longest free run in pages; 0 when there is none.
     */
    public long largestFreeGapPages(final long limitPfn)
    {
        lock.lock();
        try
        {
            checkOpen();
            return limitPfn < startPfn ? 0 : tree.largestFreeGapPages(Math.min(limitPfn, lastPfn));
        }
        finally
        {
            try
            {
                lock.unlock();
            }
            catch (final StackOverflowError e)
            {
                lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                throw e;
            }
        }
    }

    /**
     * Calls {@code visitor} for every range, allocated and reserved, in ascending pfn order,
     * while holding the domain's lock: the visitor must not call back into this domain (a call
     * back throws {@link IllegalStateException}).
     *
     * @param visitor receives each range.
     */
    public void forEachRange(final RangeVisitor visitor)
    {
        lock.lockForCallbacks();
        try
        {
            checkOpen();
            tree.forEach(visitor::visit);
        }
        finally
        {
            try
            {
                lock.unlock();
            }
            catch (final StackOverflowError e)
            {
                lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                throw e;
            }
        }
    }

    /**
     * Checks every invariant of the tree: key order, no overlap, ranges inside the domain,
     * balance, the gap augmentation of every node, the node counts.
     *
     * @throws IllegalStateException naming the first broken invariant and the node it broke at.
     */
    public void verify()
    {
        lock.lock();
        try
        {
            checkOpen();
            tree.verify();
            final java.util.Iterator<java.util.Map.Entry<Long, Long>> expected = book.reservedUnion().entrySet().iterator();
            tree.forEach((loPfn, hiPfn, reserved) ->
            {
                if (reserved)
                {
                    final java.util.Map.Entry<Long, Long> e = expected.hasNext() ? expected.next() : null;
                    if (e == null || e.getKey() != loPfn || e.getValue() != hiPfn)
                    {
                        throw new IllegalStateException("reserved range [0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) +
                            "] of the tree is not what the reservations and allowed ranges cover (" +
                            (e == null ? "nothing more" : "[0x" + Long.toHexString(e.getKey()) + ", 0x" + Long.toHexString(e.getValue()) + "]") + ")");
                    }
                }
            });
            if (expected.hasNext())
            {
                throw new IllegalStateException("the reservations and allowed ranges cover " + expected.next() +
                    " (first pfn=last pfn), which the tree does not hold as reserved");
            }
        }
        finally
        {
            try
            {
                lock.unlock();
            }
            catch (final StackOverflowError e)
            {
                lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                throw e;
            }
        }
    }

    /** @return the off-heap bytes this domain holds now, tree and caches (0 after {@link #close()}). */
    public long offHeapBytes()
    {
        lock.lock();
        try
        {
            return closed ? 0 : tree.offHeapBytes() + (cache == null ? 0 : cache.offHeapBytes());
        }
        finally
        {
            try
            {
                lock.unlock();
            }
            catch (final StackOverflowError e)
            {
                lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                throw e;
            }
        }
    }

    /** @return true once {@link #close()} has been called. */
    public boolean isClosed()
    {
        return closed;
    }

    /**
     * Releases all off-heap memory, after waiting for the calls in progress. Later calls throw
     * {@link IllegalStateException}; closing twice is harmless.
     */
    @Override
    public void close()
    {
        if (cache != null)
        {
            cleanable.clean(); // closes the cache, outside the lock: cache operations in progress may need it to finish
        }
        lock.lock();
        try
        {
            if (!closed)
            {
                closed = true;
                tree.release();
            }
        }
        finally
        {
            try
            {
                lock.unlock();
            }
            catch (final StackOverflowError e)
            {
                lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                throw e;
            }
        }
    }

    @Override
    public String toString()
    {
        return "IovaDomain{granuleBytes=" + granuleBytes + ", startPfn=0x" + Long.toHexString(startPfn) +
            ", lastPfn=0x" + Long.toHexString(lastPfn) + (closed ? ", closed}" : "}");
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("domain is closed: " + this);
        }
    }

    private void checkOpenUnlocked()
    {
        if (closed)
        {
            throw new IllegalStateException("domain is closed: " + this);
        }
    }

    /** @return the size class of a cached request: log2 of {@code pages} rounded up to a power of two. */
    private static int sizeClassOf(final long pages)
    {
        return 64 - Long.numberOfLeadingZeros(pages - 1);
    }

    /**
     * The tree, as the range caches see it: each {@link RangeCache.Backend} call takes the
     * domain's lock; the {@link TreeRefill.LockedTree} calls are made by the run walk
     * ({@link TreeRefill#takeRun}) while it is held.
     */
    private final class TreeBackend implements RangeCache.Backend, TreeRefill.LockedTree
    {
        @Override
        public long allocCachedRun(
            final long pages, final int maxRanges, final long limitPfn, final RangeCache.LiveMarker marker, final int sizeClass,
            final long hint)
        {
            lock.lock();
            try
            {
                checkOpen();
                return TreeRefill.takeRun(this, pages, maxRanges, limitPfn, marker, sizeClass, hint);
            }
            finally
            {
                try
                {
                    lock.unlock();
                }
                catch (final StackOverflowError e)
                {
                    lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                    throw e;
                }
            }
        }

        @Override
        public long allocLocked(final long pages, final long limitPfn)
        {
            return tree.alloc(pages, limitPfn, true, LeafDescriptor.KIND_CACHED); // under the lock: see allocCachedRun
        }

        @Override
        public boolean allocIfFreeLocked(final long pfn, final long pages)
        {
            return tree.allocIfFree(pfn, pfn + pages - 1, LeafDescriptor.KIND_CACHED); // under the lock: see allocCachedRun
        }

        @Override
        public void freeLocked(final long pfn, final long pages)
        {
            tree.free(pfn, pages, LeafDescriptor.KIND_CACHED); // under the lock: see allocCachedRun
        }

        @Override
        public long startPfn()
        {
            return startPfn;
        }

        @Override
        public long allocUntracked(final long pages, final long limitPfn)
        {
            lock.lock();
            try
            {
                checkOpen();
                return tree.alloc(pages, limitPfn, true, LeafDescriptor.KIND_ALLOCATED);
            }
            finally
            {
                try
                {
                    lock.unlock();
                }
                catch (final StackOverflowError e)
                {
                    lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                    throw e;
                }
            }
        }

        @Override
        public void freeCached(final long pfn, final long pages)
        {
            lock.lock();
            try
            {
                checkOpen();
                tree.free(pfn, pages, LeafDescriptor.KIND_CACHED);
            }
            finally
            {
                try
                {
                    lock.unlock();
                }
                catch (final StackOverflowError e)
                {
                    lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                    throw e;
                }
            }
        }

        @Override
        public void freeUntracked(final long pfn, final long pages, final long classPages)
        {
            lock.lock();
            try
            {
                checkOpen();
                // A range the caches own was rounded up: check it at that length, so that the
                // tree reports what it is (a double free) rather than a length mismatch.
                final boolean cacheOwned = tree.find(pfn) && tree.foundKind() == LeafDescriptor.KIND_CACHED;
                tree.free(pfn, cacheOwned ? classPages : pages, LeafDescriptor.KIND_ALLOCATED);
            }
            finally
            {
                try
                {
                    lock.unlock();
                }
                catch (final StackOverflowError e)
                {
                    lock.word = SpinLock.FREE; // a field store, not a call: it cannot overflow (SpinLock)
                    throw e;
                }
            }
        }
    }

    private void checkReserveBounds(final long loPfn, final long hiPfn)
    {
        if (hiPfn < loPfn || loPfn < startPfn || hiPfn > lastPfn)
        {
            throw new IllegalArgumentException("cannot reserve [0x" + Long.toHexString(loPfn) + ", 0x" +
                Long.toHexString(hiPfn) + "]: " + (hiPfn < loPfn ? "hiPfn is below loPfn" :
                "outside the domain [0x" + Long.toHexString(startPfn) + ", 0x" + Long.toHexString(lastPfn) + "]"));
        }
    }

    private IllegalArgumentException badAlloc(final long pages, final long limitPfn)
    {
        return new IllegalArgumentException(pages < 1 ?
            "pages=" + pages + " must be at least 1" :
            "limitPfn=0x" + Long.toHexString(limitPfn) + " is below startPfn=0x" + Long.toHexString(startPfn));
    }

    static long defaultLastPfn(final int granuleShift)
    {
        // The highest pfn of a 64-bit address space, capped at the tree's 56-bit pfns. (With a
        // 1-byte granule, -1L >>> 0 is -1, not 2^64 - 1: every granule below 2^8 hits the cap.)
        return granuleShift < Long.SIZE - LeafDescriptor.PFN_BITS ? MAX_PFN : Math.min(MAX_PFN, -1L >>> granuleShift);
    }

    private static final long UNSET = -1L;

    /** Configures a domain; every setter checks its argument at once. */
    public static final class Builder
    {
        /** Default {@link #maxRanges(int)}: 64 Mi ranges, 3 GiB of nodes at most, allocated only as used. */
        public static final int DEFAULT_MAX_RANGES = 1 << 26;

        /**
         * Default {@link #maxCachedPages(long)}: 512 pages, 2 MiB at a 4 KiB granule (Linux stops at
         * 32). Caching up to 512 pages took the storage-like trace replay from about 300 to about
         * 50 ns per operation and the mixed-devices one from about 150 to about 60, in one JMH run
         * beside {@code maxCachedPages(32)} ({@code docs/caches.md}); magazines of classes above
         * 32 pages hold fewer ranges, so the address space a class can hide stays bounded.
         */
        public static final long DEFAULT_MAX_CACHED_PAGES = 512;

        /** Default {@link #magazineRanges(int)}: Linux's {@code IOVA_MAG_SIZE}, 127 ranges, a 1 KiB magazine. */
        public static final int DEFAULT_MAGAZINE_RANGES = 127;

        /**
         * Default {@link #depotMagazines(int)}: 32 full magazines per size class, Linux's former
         * {@code MAX_GLOBAL_MAGS}; see {@code docs/caches.md} for the reasoning.
         */
        public static final int DEFAULT_DEPOT_MAGAZINES = 32;

        private long granuleBytes = 4096;
        private long startPfn = 1;
        private long lastPfn = UNSET;
        private int maxRanges = DEFAULT_MAX_RANGES;
        private int chunkRanges = IntervalTree.DEFAULT_CHUNK_NODES;
        private long maxCachedPages = DEFAULT_MAX_CACHED_PAGES;
        private int magazineRanges = DEFAULT_MAGAZINE_RANGES;
        private int depotMagazines = DEFAULT_DEPOT_MAGAZINES;
        private int cacheStripes;
        private Fit fit = Fit.HIGHEST;

        private Builder()
        {
        }

        /**
         * @param granuleBytes the page size, a power of two (1 byte to 2^62 bytes).
         * @return this builder.
         */
        public Builder granuleBytes(final long granuleBytes)
        {
            if (granuleBytes <= 0 || Long.bitCount(granuleBytes) != 1)
            {
                throw new IllegalArgumentException("granuleBytes=" + granuleBytes + " is not a power of two");
            }
            this.granuleBytes = granuleBytes;
            return this;
        }

        /**
         * @param startPfn the lowest pfn handed out, at least 1 (pfn 0 is {@link #NO_ADDRESS}).
         * @return this builder.
         */
        public Builder startPfn(final long startPfn)
        {
            if (startPfn < 1)
            {
                throw new IllegalArgumentException("startPfn=" + startPfn + " must be at least 1: pfn 0 means NO_ADDRESS");
            }
            this.startPfn = startPfn;
            return this;
        }

        /**
         * @param lastPfn the highest pfn handed out (inclusive), at least {@code startPfn} and at
         *                most {@link #MAX_PFN}. Default: the top of a 64-bit address space, or
         *                {@code MAX_PFN} if lower.
         * @return this builder.
         */
        public Builder lastPfn(final long lastPfn)
        {
            if (lastPfn < 1 || lastPfn > MAX_PFN)
            {
                throw new IllegalArgumentException("lastPfn=0x" + Long.toHexString(lastPfn) +
                    " must be in [1, MAX_PFN=0x" + Long.toHexString(MAX_PFN) + "]");
            }
            this.lastPfn = lastPfn;
            return this;
        }

        /**
         * The most ranges (allocated plus reserved) the domain holds; beyond it {@code alloc}
         * returns {@link #NO_ADDRESS} and {@code reserve} throws. Memory is taken in chunks as
         * ranges are created, never all up front.
         *
         * @param maxRanges at least 1, at most {@link IntervalTree#MAX_NODES} - 2.
         * @return this builder.
         */
        public Builder maxRanges(final int maxRanges)
        {
            if (maxRanges < 1 || maxRanges > IntervalTree.MAX_NODES - 2)
            {
                throw new IllegalArgumentException("maxRanges=" + maxRanges + " must be in [1, " + (IntervalTree.MAX_NODES - 2) + "]");
            }
            this.maxRanges = maxRanges;
            return this;
        }

        /**
         * The step by which the tree's off-heap memory grows, in ranges (a power of two): leaves
         * come {@code chunkRanges / 8} at a time (room for about twice that many ranges when they
         * are full), inner nodes an eighth as many.
         *
         * @param chunkRanges a power of two in [64, 2^20].
         * @return this builder.
         */
        public Builder chunkRanges(final int chunkRanges)
        {
            if (chunkRanges < 64 || chunkRanges > (1 << 20) || Integer.bitCount(chunkRanges) != 1)
            {
                throw new IllegalArgumentException("chunkRanges=" + chunkRanges + " must be a power of two in [64, 1048576]");
            }
            this.chunkRanges = chunkRanges;
            return this;
        }

        /**
         * The largest request the range caches serve; larger ones go to the tree.
         *
         * @param maxCachedPages a power of two from 1 to 2^15, or 0 to turn the caches off
         *                       ({@code allocFast}/{@code freeFast} then go straight to the tree).
         * @return this builder.
         */
        public Builder maxCachedPages(final long maxCachedPages)
        {
            if (maxCachedPages != 0 && (maxCachedPages < 0 || maxCachedPages > (1 << 15) || Long.bitCount(maxCachedPages) != 1))
            {
                throw new IllegalArgumentException("maxCachedPages=" + maxCachedPages + " must be 0 or a power of two up to 32768");
            }
            this.maxCachedPages = maxCachedPages;
            return this;
        }

        /**
         * @param magazineRanges ranges per magazine, 1 to 4096.
         * @return this builder.
         */
        public Builder magazineRanges(final int magazineRanges)
        {
            if (magazineRanges < 1 || magazineRanges > 4096)
            {
                throw new IllegalArgumentException("magazineRanges=" + magazineRanges + " must be in [1, 4096]");
            }
            this.magazineRanges = magazineRanges;
            return this;
        }

        /**
         * @param depotMagazines full magazines each size class's depot holds, 0 to 4096.
         * @return this builder.
         */
        public Builder depotMagazines(final int depotMagazines)
        {
            if (depotMagazines < 0 || depotMagazines > 4096)
            {
                throw new IllegalArgumentException("depotMagazines=" + depotMagazines + " must be in [0, 4096]");
            }
            this.depotMagazines = depotMagazines;
            return this;
        }

        /**
         * @param cacheStripes stripes of magazines, a power of two from 1 to 1024. Default:
         *                     four per available processor, rounded up to a power of two, at most 256.
         * @return this builder.
         */
        public Builder cacheStripes(final int cacheStripes)
        {
            if (cacheStripes < 1 || cacheStripes > 1024 || Integer.bitCount(cacheStripes) != 1)
            {
                throw new IllegalArgumentException("cacheStripes=" + cacheStripes + " must be a power of two in [1, 1024]");
            }
            this.cacheStripes = cacheStripes;
            return this;
        }

        /**
         * @param fit where {@link IovaDomain#alloc(long, long, boolean)} places ranges; default
         *            {@link Fit#HIGHEST}. The range caches ({@link IovaDomain#allocFast}) and the calls
         *            that name a fit ({@link IovaDomain#alloc(long, long, long, Fit)}) do not use it.
         * @return this builder.
         */
        public Builder fit(final Fit fit)
        {
            if (fit == null)
            {
                throw new IllegalArgumentException("fit is null: pass Fit.HIGHEST, Fit.LOWEST or Fit.BEST");
            }
            this.fit = fit;
            return this;
        }

        static int defaultStripes()
        {
            final int wanted = 4 * Runtime.getRuntime().availableProcessors();
            return Math.min(256, Integer.highestOneBit(wanted - 1) << 1);
        }

        /**
         * @return a new, empty domain.
         * @throws IllegalArgumentException when {@code lastPfn < startPfn}.
         * @throws IllegalStateException    when the JVM lacks the {@code --add-exports} Agrona needs.
         */
        public IovaDomain build()
        {
            return new IovaDomain(this);
        }
    }
}
