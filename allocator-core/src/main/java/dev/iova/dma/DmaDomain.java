package dev.iova.dma;

import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import dev.iova.Alignments;
import dev.iova.Fit;
import dev.iova.IovaDomain;
import dev.iova.RegionCarving;
import dev.iova.internal.DomainAccess;
import dev.iova.region.Protection;
import dev.iova.region.RegionType;
import dev.iova.region.ReservedRegion;
import dev.iova.region.ReservedRegionList;

import static dev.iova.dma.IoPageTable.hex;
import static dev.iova.dma.PageTableDescriptor.FIRST;
import static dev.iova.dma.PageTableDescriptor.FIXED;
import static dev.iova.dma.PageTableDescriptor.LAST;
import static dev.iova.dma.PageTableDescriptor.PHYS_MASK;

/**
 * A DMA domain: what a DMA layer, a user-space driver or an IOMMU simulator calls to map buffers
 * for a device and take them back, after Linux's {@code drivers/iommu/dma-iommu.c}.
 *
 * <h2>What it puts together</h2>
 * An {@link IovaDomain} (the allocator, through its range caches), an {@link IoPageTable}, an
 * {@link Iotlb} to invalidate, and, in {@link InvalidationMode#LAZY} mode, flush queues.
 * <ul>
 *   <li>{@link #map(long, long, Protection)} allocates an IOVA, writes the page-table entries and
 *       returns the IOVA <b>plus the offset of {@code phys} within its page</b>, as
 *       {@code dma_map_page} does; {@link #unmap(long, long)} takes back exactly one such mapping
 *       (the address as returned, the bytes as mapped, both checked to the page).</li>
 *   <li>{@link #mapSg} maps a scatter-gather list into one contiguous IOVA range: each segment
 *       starts a new page and keeps its offset in that page (Linux's {@code iommu_dma_map_sg}),
 *       so segments that end and start on page boundaries come out contiguous for the device.</li>
 *   <li><b>DMA masks.</b> Each call may give the device's mask width ({@code maskBits}); the
 *       domain has a default. A device limited to 32 bits allocates below 4 GiB; a wider one
 *       tries below 4 GiB first and falls back to its whole mask (Linux's policy, which keeps
 *       addresses that need only single-address-cycle PCI transactions in use first;
 *       {@link Builder#try32BitFirst(boolean)} turns it off). As Linux's
 *       {@code max32_alloc_size} does, a size that failed below 4 GiB skips the first attempt
 *       until an IOVA below 4 GiB is freed.</li>
 * </ul>
 *
 * <h2>Devices, handles and the two-step API</h2>
 * {@link #device(int)} attaches a {@link DmaDevice}: its mappings carry its number in the page
 * table, so its unmap refuses another device's buffer and {@link DmaDevice#unmapAll()} tears all of
 * them down. {@link DmaMapping} handles make a stale unmap an error and unmap exactly what they
 * mapped; {@link DmaIova} reservations take one IOVA range and link pages into it at offsets
 * without invalidating (Linux's {@code dma_iova_*}). {@link DmaDirection} says which way the data
 * moves. The domain hands out no mutable allocator or page table: {@link #liveIovaRanges()},
 * {@link #liveTables()}, {@link #retiredTables()} and {@link #verifyIovas()} read them.
 *
 * <h2>Exhaustion</h2>
 * A map that finds no IOVA range or no page-table memory while unmapped IOVAs or tables wait for
 * an invalidation invalidates once, frees them and tries again; a second failure returns
 * {@link #NO_ADDRESS} and records what ran out ({@link #lastMapFailure()}, {@link #mapFailures}).
 *
 * <h2>Reserved regions at creation</h2>
 * Every region of the list is carved out of the IOVA space ({@link RegionCarving}), so
 * {@code map} never returns an address in one. Direct and direct-relaxable regions are
 * identity-mapped (iova = phys) with their protection. The first software-MSI region is the
 * window in which {@link #mapMsi(long)} maps doorbell pages on demand: every caller of the same
 * doorbell page gets the same IOVA, counted, until the last {@link #unmapMsi(long)}. Identity and
 * MSI mappings are marked in their entries, and {@code unmap} refuses them.
 *
 * <h2>Invalidation and the safety rule</h2>
 * An IOVA is never handed out again before the IOTLB invalidation that covers its last unmap has
 * completed. {@link InvalidationMode#STRICT}: {@code unmap} clears the entries, invalidates the
 * range, waits, then frees the IOVA. {@link InvalidationMode#LAZY}: {@code unmap} clears the
 * entries and queues the IOVA; a queue invalidates the whole IOTLB once per batch and then frees
 * what it holds (see {@link FlushQueues}). {@link #flush()} forces the queues out; so does
 * {@link #close()}.
 *
 * <h2>Errors and exhaustion</h2>
 * Running out of IOVA space or page-table memory returns {@link #NO_ADDRESS}. Bad input — a
 * non-positive size, {@link Protection#NO_MAP}, a physical range beyond 52 bits, a size that cannot
 * fit below the mask, an unmap of an address that is not exactly one live mapping (unmapped,
 * partly mapped, already unmapped, wrong size, an identity or MSI mapping) — throws
 * {@link IllegalArgumentException} naming the values and changes nothing; any call after
 * {@link #close()} throws {@link IllegalStateException} (but {@code close}, {@code isClosed},
 * {@code offHeapBytes} and {@code toString}).
 *
 * <h2>When the IOTLB throws</h2>
 * A call whose {@link Iotlb} invalidation throws rethrows it, with its own work done (an unmap is
 * unmapped, a failed map holds nothing) and whatever that invalidation was to cover kept out of use
 * — the IOVA in its flush queue or a quarantine, an MSI page in its slot — until an invalidation
 * that began after the unmap completes; {@link #flush()} retries. The flush timer counts and
 * reports such failures ({@link Builder#flushTimerFailureHandler}) and goes on. See
 * {@code docs/reliability.md}.
 *
 * <h2>Threads and garbage</h2>
 * Every method may be called from many threads; calls on different mappings take no common lock
 * (the IOVA caches and flush queues are striped, page tables are installed with a CAS).
 * {@code map}, {@code unmap}, {@code mapSg}, {@code unmapSg} and {@code translate} allocate
 * nothing on the Java heap in the steady state. {@link #close()} waits for the calls in
 * progress, flushes, and frees all off-heap memory; called from an {@code Iotlb} callback inside
 * one of this domain's calls, it leaves that to the call as it returns. A domain that becomes
 * unreachable without being closed is freed by a {@link java.lang.ref.Cleaner}, which also stops
 * its flush timer (the timer holds the domain weakly); close it anyway, since the Cleaner runs
 * only after a garbage collection.
 *
 * <pre>{@code
 * try (DmaDomain domain = DmaDomain.builder().regions(regions).invalidationMode(InvalidationMode.LAZY).build())
 * {
 *     final long dma = domain.map(0x1_2345_6080L, 8192, Protection.READ_WRITE);   // offset 0x080 kept
 *     if (dma == DmaDomain.NO_ADDRESS) { ... }                                    // out of IOVA space
 *     ... the device uses [dma, dma + 8192) ...
 *     domain.unmap(dma, 8192);
 * }
 * }</pre>
 */
public final class DmaDomain implements AutoCloseable
{
    /** What {@code map}, {@code mapSg} and {@code mapMsi} return when out of addresses or table memory. */
    public static final long NO_ADDRESS = 0L;

    /** Default entries per flush queue: Linux's {@code IOVA_FQ_SIZE}. */
    public static final int DEFAULT_FLUSH_QUEUE_ENTRIES = 256;

    /** Default flush-queue timeout: Linux's {@code IOVA_FQ_TIMEOUT}, 10 ms. */
    public static final long DEFAULT_FLUSH_TIMEOUT_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /** Entries of the single flush queue ({@link Builder#singleFlushQueue()}): Linux's {@code IOVA_SINGLE_FQ_SIZE}. */
    public static final int SINGLE_FLUSH_QUEUE_ENTRIES = 32768;

    /** Timeout of the single flush queue: Linux's {@code IOVA_SINGLE_FQ_TIMEOUT}, 1,000 ms. */
    public static final long SINGLE_FLUSH_QUEUE_TIMEOUT_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);

    /** The most doorbell pages the software-MSI window holds at once. */
    public static final int MAX_MSI_PAGES = 4096;

    /** In {@code msiRefs}: a page whose unmap's invalidation threw, out of use until an invalidation covers it. */
    private static final int MSI_QUARANTINED = -1;

    /** Allocation without the caches' free check: {@link #unmap} checks every free itself (see {@link DomainAccess}). */
    private static final DomainAccess IOVAS = DomainAccess.get();

    /** Frees what unreachable domains hold, and stops their flush timers. */
    private static final Cleaner CLEANER = Cleaner.create();

    private final IovaDomain iovas;
    private final IoPageTable pageTable;
    private final Iotlb iotlb;
    private final InvalidationMode mode;
    private final FlushQueues queues;
    private final Quarantine quarantine;
    private final IovaSink sink;
    private final OperationGate gate;
    private final Resources resources;
    private final Cleaner.Cleanable cleanable;
    private final ReservedRegionList regions;
    private final int granuleShift;
    /**
     * The shortest map, in pages, whose IOVA takes {@link #blockAlignPages}: the smallest block,
     * and beyond the range caches ({@code Long.MAX_VALUE} when blocks are off or the geometry has none).
     */
    private final long blockAlignMinPages;
    private final long granuleMask;
    private final long startPfn;
    private final long lastPfn;
    private final int defaultMaskBits;
    private final boolean try32BitFirst;
    private final long pfn32;

    private final Object msiLock = new Object();
    private final long msiFirstPfn;
    private final long[] msiPhysPage;
    private final int[] msiRefs;
    private final long[] msiQuarantineTag;
    private int msiQuarantined;

    private final FlushTimer flushTimer;

    private final AtomicInteger devices = new AtomicInteger();
    private final Consumer<DmaDevice> fullMaskListener;
    private final AtomicLong fullMaskSwitches = new AtomicLong();
    /** Map failures by {@link MapFailure} ordinal, 16 longs apart. */
    private final AtomicLongArray mapFailures = new AtomicLongArray(16 * MapFailure.values().length);
    private volatile MapFailure lastMapFailure;

    private DmaDomain(final Builder builder)
    {
        this.fullMaskListener = builder.fullMaskListener;
        this.granuleShift = Long.numberOfTrailingZeros(builder.granuleBytes);
        this.granuleMask = builder.granuleBytes - 1;
        this.mode = builder.mode;
        this.iotlb = builder.iotlb != null ? builder.iotlb : new SimulatedIotlb();
        this.regions = builder.regions;
        this.defaultMaskBits = builder.dmaMaskBits;
        this.try32BitFirst = builder.try32BitFirst;
        this.pfn32 = 0xffff_ffffL >>> granuleShift;

        final long maxIova = (1L << builder.iovaBits) - 1;
        final long apertureStart = builder.apertureStartByte;
        final long apertureEnd = builder.apertureEndByte == UNSET ? maxIova : builder.apertureEndByte;
        checkAperture(apertureStart, apertureEnd, maxIova);
        this.startPfn = Math.max(1, apertureStart >>> granuleShift);
        this.lastPfn = apertureEnd >>> granuleShift;
        // First, before any class of ours touches Agrona: without the --add-exports option this
        // throws IovaDomain's one-sentence IllegalStateException, every time.
        this.iovas = IovaDomain.builder().granuleBytes(builder.granuleBytes).startPfn(startPfn).lastPfn(lastPfn)
            .magazineRanges(magazineRanges(builder)).build();

        this.resources = new Resources(iotlb, iovas);
        this.gate = new OperationGate(defaultStripes(), "domain is closed: ", DmaDomain.class, resources::releaseAfterDeferredClose);
        resources.gate = gate;
        IoPageTable table = null;
        try
        {
            table = new IoPageTable(granuleShift, builder.bitsPerLevel, builder.iovaBits, builder.maxTables);
            table.markOwnedByDomain();
            table.reclaimEmptyTables(builder.reclaimEmptyTables && iotlb.canInvalidateAll());
            table.blockMappings(builder.blockMappings);
            this.pageTable = table;
            final long[] blockSizes = table.blockSizes();
            this.blockAlignMinPages = !builder.blockMappings || blockSizes.length == 0 ? Long.MAX_VALUE :
                Math.max(blockSizes[0] >>> granuleShift, iovas.maxCachedPages() + 1);
            resources.pageTable = table;
            this.sink = new IovaSink(iovas, pfn32);
            this.quarantine = new Quarantine(pageTable.clock(), sink);
            resources.quarantine = quarantine;
            RegionCarving.carve(iovas, regions);
            identityMapDirectRegions(maxIova);

            final ReservedRegion msiWindow = firstOfType(RegionType.SW_MSI);
            if (msiWindow != null && Long.compareUnsigned(msiWindow.startByte(), maxIova) <= 0)
            {
                this.msiFirstPfn = msiWindow.startByte() >>> granuleShift;
                final long lastMsiPfn = Math.min(msiWindow.endByte(), maxIova) >>> granuleShift;
                final int slots = (int)Math.min(MAX_MSI_PAGES, lastMsiPfn - msiFirstPfn + 1);
                this.msiPhysPage = new long[slots];
                this.msiRefs = new int[slots];
                this.msiQuarantineTag = new long[slots];
            }
            else
            {
                this.msiFirstPfn = -1;
                this.msiPhysPage = new long[0];
                this.msiRefs = new int[0];
                this.msiQuarantineTag = new long[0];
            }

            if (mode == InvalidationMode.LAZY)
            {
                final int stripes = builder.flushQueueStripes > 0 ? builder.flushQueueStripes : defaultStripes();
                this.queues = new FlushQueues(sink, pageTable, iotlb, stripes, builder.flushQueueEntries,
                    builder.flushTimeoutNanos, quarantine);
                resources.queues = queues;
                this.flushTimer = builder.flushTimer ?
                    new FlushTimer(this, gate, Math.max(TimeUnit.MILLISECONDS.toNanos(1), builder.flushTimeoutNanos / 2),
                        builder.flushTimerFailureHandler) :
                    null;
            }
            else
            {
                this.queues = null;
                this.flushTimer = null;
            }
        }
        catch (final RuntimeException | Error ex)
        {
            gate.close();
            resources.releaseMemory();
            throw ex;
        }
        this.cleanable = CLEANER.register(this, resources);
        resources.cleanable = cleanable;
        if (flushTimer != null)
        {
            resources.flushTimerThread = flushTimer.start();
        }
    }

    /**
     * A builder with the defaults: 4 KiB granule, 512-entry tables, 48-bit IOVAs, the aperture
     * from the first page to the top of the space, a 64-bit default DMA mask, 32-bit-first
     * allocation, no reserved regions, strict invalidation through a free {@link SimulatedIotlb}.
     *
     * @return a new builder.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    // ---------------------------------------------------------------------------------------------
    // Map and unmap
    // ---------------------------------------------------------------------------------------------

    /**
     * Maps {@code bytes} bytes at {@code phys} for a device with the domain's default DMA mask.
     *
     * @param phys       first physical byte (any alignment), below 2^52.
     * @param bytes      how many bytes, at least 1.
     * @param protection what the device may do: READ, WRITE or READ_WRITE.
     * @return the DMA address of {@code phys} (the IOVA of its page plus its offset in the page),
     *         or {@link #NO_ADDRESS} when no IOVA range or page-table memory is left.
     * @throws IllegalArgumentException for bad input; nothing changes.
     * @throws IllegalStateException    after {@link #close()}.
     */
    public long map(final long phys, final long bytes, final Protection protection)
    {
        return map(phys, bytes, protection, defaultMaskBits);
    }

    /**
     * Maps {@code bytes} bytes at {@code phys} for a device whose DMA mask is {@code maskBits} wide.
     *
     * @param phys       first physical byte (any alignment), below 2^52.
     * @param bytes      how many bytes, at least 1.
     * @param protection what the device may do: READ, WRITE or READ_WRITE.
     * @param maskBits   the device's DMA mask width, 1 to 64: every byte of the IOVA range is
     *                   below {@code 2^maskBits}.
     * @return the DMA address of {@code phys}, or {@link #NO_ADDRESS}.
     * @throws IllegalArgumentException for bad input, including a size that cannot fit below the
     *                                  mask within the aperture; nothing changes.
     * @throws IllegalStateException    after {@link #close()}.
     */
    public long map(final long phys, final long bytes, final Protection protection, final int maskBits)
    {
        final int stripe = gate.enter(this);
        try
        {
            return mapChecked(phys, bytes, protection, maskBits, null);
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    /**
     * Maps {@code bytes} bytes at {@code phys} with the domain's default DMA mask, the protection
     * following the direction of the transfer.
     *
     * @param phys      first physical byte (any alignment), below 2^52.
     * @param bytes     how many bytes, at least 1.
     * @param direction which way the data moves.
     * @return the DMA address of {@code phys}, or {@link #NO_ADDRESS} ({@link #lastMapFailure()} says why).
     * @throws IllegalArgumentException for bad input; nothing changes.
     * @throws IllegalStateException    after {@link #close()}.
     */
    public long map(final long phys, final long bytes, final DmaDirection direction)
    {
        checkOpen();
        if (direction == null)
        {
            throw new IllegalArgumentException("direction is null: map with TO_DEVICE, FROM_DEVICE or BIDIRECTIONAL");
        }
        return map(phys, bytes, direction.protection(), defaultMaskBits);
    }

    long mapFor(final DmaDevice device, final long phys, final long bytes, final Protection protection)
    {
        final int stripe = gate.enter(this);
        try
        {
            return mapChecked(phys, bytes, protection, device.maskBits(), device);
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    /**
     * Checks, allocates, writes; on exhaustion drains what waits for an invalidation (flush queues,
     * quarantine, detached tables) and tries once more, as the range caches flush and retry.
     */
    private long mapChecked(final long phys, final long bytes, final Protection protection, final int maskBits,
        final DmaDevice device)
    {
        checkPhys(phys, bytes);
        IoPageTable.checkedProtectionBits(protection);
        final long offset = phys & granuleMask;
        final long pages = pagesOf(offset, bytes);
        final long limitPfn = limitPfn(maskBits, pages, bytes);
        final long ownerBits = device == null ? 0 : device.ownerBits();
        long iova = mapOnce(phys - offset, pages, protection, limitPfn, ownerBits, device);
        if (iova < 0)
        {
            iova = mapAfterDrain(phys - offset, pages, protection, limitPfn, ownerBits, device, iova);
            if (iova < 0)
            {
                return NO_ADDRESS;
            }
        }
        notifyMapped(iova, pages, device);
        return iova + offset;
    }

    /** The rare second attempt of a map, after draining; records what ran out when it fails too. */
    private long mapAfterDrain(final long physPage, final long pages, final Protection protection, final long limitPfn,
        final long ownerBits, final DmaDevice device, final long firstFailure)
    {
        long iova = firstFailure;
        if (drainWaiting())
        {
            iova = mapOnce(physPage, pages, protection, limitPfn, ownerBits, device);
        }
        if (iova < 0)
        {
            recordFailure(iova == OUT_OF_TABLES ? MapFailure.PAGE_TABLES : MapFailure.IOVA_SPACE);
        }
        return iova;
    }

    /** {@link Iotlb#mapped}; when it throws, the mapping is taken back before the exception goes on. */
    private void notifyMapped(final long iova, final long pages, final DmaDevice device)
    {
        try
        {
            iotlb.mapped(iova, pages << granuleShift);
        }
        catch (final RuntimeException | Error ex)
        {
            try
            {
                unmapPages(iova, pages, device);
            }
            catch (final RuntimeException | Error undo)
            {
                ex.addSuppressed(undo); // unmapped all the same; its IOVA waits for a later invalidation
            }
            throw ex;
        }
    }

    /** What {@link #mapOnce} returns when no IOVA range fits. */
    private static final long OUT_OF_IOVAS = -1;

    /** What {@link #mapOnce} returns when the page table ran out of tables. */
    private static final long OUT_OF_TABLES = -2;

    /** @return the IOVA of the mapped range, {@link #OUT_OF_IOVAS} or {@link #OUT_OF_TABLES} (nothing held). */
    private long mapOnce(final long physPage, final long pages, final Protection protection, final long limitPfn,
        final long ownerBits, final DmaDevice device)
    {
        final long pfn = allocIova(pages, limitPfn, device, pages < blockAlignMinPages ? 0 : blockAlignPages(physPage, pages));
        if (pfn == NO_ADDRESS)
        {
            return OUT_OF_IOVAS;
        }
        final long iova = pfn << granuleShift;
        final boolean mapped;
        try
        {
            mapped = mapFresh(iova, physPage, pages, protection, FIRST | LAST | ownerBits, pfn);
        }
        catch (final Error ex)
        {
            // A table allocation threw (OutOfMemoryError, StackOverflowError): the page table took back
            // what the map wrote; its IOVA goes back as a map out of tables gives it back.
            try
            {
                abandon(iova, pfn, pages);
            }
            catch (final RuntimeException | Error undo)
            {
                ex.addSuppressed(undo);
            }
            throw ex;
        }
        if (!mapped)
        {
            abandon(iova, pfn, pages);
            return OUT_OF_TABLES;
        }
        return iova;
    }

    /**
     * Invalidates once what waits for an invalidation, so its IOVAs and tables are free again.
     *
     * @return false when nothing waited (a retry would fail the same way).
     */
    private boolean drainWaiting()
    {
        if (quarantine.isEmpty() && !pageTable.hasRetiredTables() && !pageTable.hasEmptyTables() &&
            (queues == null || queues.queuedEntries() == 0))
        {
            return false;
        }
        flushUnderGate();
        return true;
    }

    private void recordFailure(final MapFailure failure)
    {
        lastMapFailure = failure;
        mapFailures.getAndIncrement(16 * failure.ordinal());
    }

    /**
     * @return what ran out at the most recent map that returned {@link #NO_ADDRESS} (on any thread),
     *         or null when none has.
     * @throws IllegalStateException after {@link #close()}.
     */
    public MapFailure lastMapFailure()
    {
        checkOpen();
        return lastMapFailure;
    }

    /**
     * @param failure what ran out.
     * @return how many maps (and scatter-gather maps) returned {@link #NO_ADDRESS} because of it.
     * @throws IllegalStateException after {@link #close()}.
     */
    public long mapFailures(final MapFailure failure)
    {
        checkOpen();
        return mapFailures.get(16 * Objects.requireNonNull(failure, "failure").ordinal());
    }

    /**
     * Takes back one mapping that {@link #map} made: clears its entries, then invalidates and frees
     * its IOVA (strict) or queues it (lazy).
     *
     * @param dmaAddress the address {@code map} returned.
     * @param bytes      the bytes it mapped (checked to the page, as Linux does).
     * @throws IllegalArgumentException when the range is not exactly one live mapping of this
     *                                  domain: unmapped, partly mapped, already unmapped, a wrong
     *                                  size, or an identity or MSI mapping; nothing changes.
     * @throws IllegalStateException    after {@link #close()}.
     */
    public void unmap(final long dmaAddress, final long bytes)
    {
        unmapFor(null, dmaAddress, bytes);
    }

    void unmapFor(final DmaDevice device, final long dmaAddress, final long bytes)
    {
        final int stripe = gate.enter(this);
        try
        {
            if (bytes <= 0 || bytes > PHYS_MASK)
            {
                throw new IllegalArgumentException("bytes=" + bytes + " must be in [1, 2^52) (unmap of dma=" + hex(dmaAddress) + ")");
            }
            final long offset = dmaAddress & granuleMask;
            unmapPages(dmaAddress - offset, pagesOf(offset, bytes), device);
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The two-step API (DmaIova)
    // ---------------------------------------------------------------------------------------------

    boolean reserveFor(final DmaDevice device, final DmaIova range, final long bytes)
    {
        final int stripe = gate.enter(this);
        try
        {
            if (range.isReserved())
            {
                throw new IllegalStateException("this DmaIova already reserves " + range + ": destroy it first");
            }
            if (bytes <= 0 || bytes > PHYS_MASK)
            {
                throw new IllegalArgumentException("bytes=" + bytes + " must be in [1, 2^52) (reserve for " + device + ")");
            }
            final long pages = pagesOf(0, bytes);
            final long limitPfn = limitPfn(device.maskBits(), pages, bytes);
            long pfn = allocIova(pages, limitPfn, device);
            if (pfn == NO_ADDRESS && drainWaiting())
            {
                pfn = allocIova(pages, limitPfn, device);
            }
            if (pfn == NO_ADDRESS)
            {
                recordFailure(MapFailure.IOVA_SPACE);
                return false;
            }
            range.reserved(device, pfn << granuleShift, pages, granuleShift);
            return true;
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    boolean linkFor(final DmaDevice device, final DmaIova range, final long offset, final long phys, final long bytes,
        final Protection protection)
    {
        final int stripe = gate.enter(this);
        try
        {
            range.checkReservedBy(device);
            checkPhys(phys, bytes);
            IoPageTable.checkedProtectionBits(protection);
            if ((phys & granuleMask) != 0)
            {
                throw new IllegalArgumentException("phys=" + hex(phys) + " is not aligned to the " + (granuleMask + 1) +
                    "-byte page: link whole pages");
            }
            final long pages = checkedPiece(range, offset, bytes);
            final long iova = range.iova() + offset;
            if (!pageTable.map(iova, phys, pages << granuleShift, protection, FIRST | LAST | PageTableDescriptor.LINKED_OWNER_BITS))
            {
                invalidateReservedRange(iova, pages << granuleShift, granuleMask + 1, true); // what the failed link wrote was visible a moment
                recordFailure(MapFailure.PAGE_TABLES);
                return false;
            }
            return true;
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    void syncFor(final DmaDevice device, final DmaIova range, final long offset, final long bytes)
    {
        final int stripe = gate.enter(this);
        try
        {
            range.checkReservedBy(device);
            final long pages = checkedPiece(range, offset, bytes);
            iotlb.mapped(range.iova() + offset, pages << granuleShift);
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    void unlinkFor(final DmaDevice device, final DmaIova range, final long offset, final long bytes)
    {
        final int stripe = gate.enter(this);
        try
        {
            range.checkReservedBy(device);
            final long pages = checkedPiece(range, offset, bytes);
            final long iova = range.iova() + offset;
            final long gather = pageTable.unmap(iova, pages << granuleShift, IoPageTable.UNMAP_WHOLE,
                PageTableDescriptor.LINKED_OWNER_BITS, "a two-step reservation");
            invalidateReservedRange(iova, pages << granuleShift, IoPageTable.pageBytes(gather), IoPageTable.tablesFreed(gather) != 0);
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    void destroyFor(final DmaDevice device, final DmaIova range)
    {
        final int stripe = gate.enter(this);
        try
        {
            range.checkReservedBy(device);
            final long iova = range.iova();
            final long pages = range.pages();
            pageTable.clearOwnedRange(iova, pages);
            range.released();
            final long pfn = iova >>> granuleShift;
            if (queues == null)
            {
                invalidateThenFree(iova, pfn, pages, granuleMask + 1, true); // leaves and blocks of any size: the granule
            }
            else
            {
                queues.queue(pfn, pages, pageTable.clock().tagAfterUnmap(), System.nanoTime());
            }
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    /** @return the pages of a piece at {@code offset}: granule-aligned, inside the reservation. */
    private long checkedPiece(final DmaIova range, final long offset, final long bytes)
    {
        if (bytes <= 0 || offset < 0 || (offset & granuleMask) != 0)
        {
            throw new IllegalArgumentException("offset=" + hex(offset) + " bytes=" + hex(bytes) + ": the offset must be a multiple of " +
                (granuleMask + 1) + " and bytes at least 1");
        }
        final long pages = pagesOf(0, bytes);
        if ((offset >>> granuleShift) + pages > range.pages() || pages > range.pages())
        {
            throw new IllegalArgumentException("offset=" + hex(offset) + " bytes=" + hex(bytes) + " goes beyond the reservation of " +
                hex(range.pages() << granuleShift) + " bytes at dma=" + hex(range.iova()));
        }
        return pages;
    }

    /**
     * Invalidates part of a reservation, which stays reserved (no IOVA freed): an unlink's range,
     * or what a failed link wrote. Its tables detached before it are released after it.
     */
    private void invalidateReservedRange(final long iova, final long bytes, final long pageBytes, final boolean tablesFreed)
    {
        final long retired = pageTable.retireSequence();
        iotlb.invalidateRange(iova, bytes, pageBytes, tablesFreed);
        pageTable.releaseMeeting(iova, bytes, retired);
    }

    /** {@link DmaDevice#unmapAll()}: finds the device's mappings in the page table and unmaps each. */
    int unmapAllFor(final DmaDevice device)
    {
        final int stripe = gate.enter(this);
        try
        {
            final long[] found = pageTable.mappingsOf(device.ownerBits());
            int unmapped = 0;
            RuntimeException iotlbFailure = null;
            for (int i = 0; i < found.length; i += 2)
            {
                try
                {
                    unmapPages(found[i], found[i + 1] >>> granuleShift, device);
                    unmapped++;
                }
                catch (final IllegalArgumentException ex)
                {
                    // an unmap racing the teardown took it first
                }
                catch (final RuntimeException ex)
                {
                    unmapped++; // unmapped; its IOVA waits in the quarantine for a later invalidation
                    iotlbFailure = iotlbFailure == null ? ex : iotlbFailure;
                }
            }
            if (iotlbFailure != null)
            {
                throw iotlbFailure;
            }
            return unmapped;
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    /**
     * Maps a scatter-gather list into one contiguous IOVA range, with the default DMA mask.
     *
     * @param phys        first physical byte of each segment.
     * @param bytes       length of each segment, at least 1.
     * @param count       how many segments, at least 1 (the arrays may be longer).
     * @param protection  what the device may do.
     * @param dmaAddresses receives the DMA address of each segment.
     * @return the DMA address of the first segment, or {@link #NO_ADDRESS} (then nothing is mapped).
     * @throws IllegalArgumentException for bad input; nothing changes.
     * @throws IllegalStateException    after {@link #close()}.
     */
    public long mapSg(final long[] phys, final long[] bytes, final int count, final Protection protection,
        final long[] dmaAddresses)
    {
        return mapSg(phys, bytes, count, protection, dmaAddresses, defaultMaskBits);
    }

    /**
     * Maps a scatter-gather list into one contiguous IOVA range: segment {@code i} starts at a new
     * page of the range, keeps its offset within its page, and takes as many pages as it spans.
     *
     * @param phys         first physical byte of each segment.
     * @param bytes        length of each segment, at least 1.
     * @param count        how many segments, at least 1 (the arrays may be longer).
     * @param protection   what the device may do.
     * @param dmaAddresses receives the DMA address of each segment.
     * @param maskBits     the device's DMA mask width, 1 to 64.
     * @return the DMA address of the first segment, or {@link #NO_ADDRESS} (then nothing is mapped).
     * @throws IllegalArgumentException for bad input; nothing changes.
     * @throws IllegalStateException    after {@link #close()}.
     */
    public long mapSg(final long[] phys, final long[] bytes, final int count, final Protection protection,
        final long[] dmaAddresses, final int maskBits)
    {
        final int stripe = gate.enter(this);
        try
        {
            return mapSgChecked(phys, bytes, count, protection, dmaAddresses, maskBits, null);
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    long mapSgFor(final DmaDevice device, final long[] phys, final long[] bytes, final int count, final Protection protection,
        final long[] dmaAddresses)
    {
        final int stripe = gate.enter(this);
        try
        {
            return mapSgChecked(phys, bytes, count, protection, dmaAddresses, device.maskBits(), device);
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    private long mapSgChecked(final long[] phys, final long[] bytes, final int count, final Protection protection,
        final long[] dmaAddresses, final int maskBits, final DmaDevice device)
    {
        IoPageTable.checkedProtectionBits(protection);
        checkSgArrays("phys", phys, bytes, count, dmaAddresses);
        long totalPages = 0;
        for (int i = 0; i < count; i++)
        {
            checkPhys(phys[i], bytes[i]);
            totalPages += pagesOf(phys[i] & granuleMask, bytes[i]);
            if (totalPages > PHYS_MASK >>> granuleShift)
            {
                throw new IllegalArgumentException("scatter-gather list of " + count + " segments spans more than 2^52 bytes");
            }
        }
        final long limitPfn = limitPfn(maskBits, totalPages, totalPages << granuleShift);
        final long ownerBits = device == null ? 0 : device.ownerBits();
        long iova = mapSgOnce(phys, bytes, count, protection, dmaAddresses, totalPages, limitPfn, ownerBits, device);
        if (iova < 0 && drainWaiting())
        {
            iova = mapSgOnce(phys, bytes, count, protection, dmaAddresses, totalPages, limitPfn, ownerBits, device);
        }
        if (iova < 0)
        {
            recordFailure(iova == OUT_OF_TABLES ? MapFailure.PAGE_TABLES : MapFailure.IOVA_SPACE);
            return NO_ADDRESS;
        }
        notifyMapped(iova, totalPages, device);
        return dmaAddresses[0];
    }

    /** @return the IOVA of the list's range, {@link #OUT_OF_IOVAS} or {@link #OUT_OF_TABLES} (nothing held). */
    private long mapSgOnce(final long[] phys, final long[] bytes, final int count, final Protection protection,
        final long[] dmaAddresses, final long totalPages, final long limitPfn, final long ownerBits, final DmaDevice device)
    {
        final long pfn = allocIova(totalPages, limitPfn, device);
        if (pfn == NO_ADDRESS)
        {
            return OUT_OF_IOVAS;
        }
        final long iova = pfn << granuleShift;
        long page = 0;
        for (int i = 0; i < count; i++)
        {
            final long offset = phys[i] & granuleMask;
            final long pages = pagesOf(offset, bytes[i]);
            final long softwareBits = (i == 0 ? FIRST | ownerBits : 0) | (i == count - 1 ? LAST : 0);
            if (!mapFresh(iova + (page << granuleShift), phys[i] - offset, pages, protection, softwareBits, pfn))
            {
                pageTable.undoPartialMap(iova, page);
                abandon(iova, pfn, totalPages);
                return OUT_OF_TABLES;
            }
            dmaAddresses[i] = iova + (page << granuleShift) + offset;
            page += pages;
        }
        return iova;
    }

    /**
     * Takes back a scatter-gather list that {@link #mapSg} mapped.
     *
     * @param dmaAddresses the addresses {@code mapSg} returned, in order.
     * @param bytes        the segment lengths, as mapped.
     * @param count        how many segments.
     * @throws IllegalArgumentException when the segments do not follow each other as {@code mapSg}
     *                                  laid them out, or are not exactly one live mapping; nothing changes.
     * @throws IllegalStateException    after {@link #close()}.
     */
    public void unmapSg(final long[] dmaAddresses, final long[] bytes, final int count)
    {
        unmapSgFor(null, dmaAddresses, bytes, count);
    }

    void unmapSgFor(final DmaDevice device, final long[] dmaAddresses, final long[] bytes, final int count)
    {
        final int stripe = gate.enter(this);
        try
        {
            checkSgArrays("dmaAddresses", dmaAddresses, bytes, count, dmaAddresses);
            final long iova = dmaAddresses[0] & ~granuleMask;
            long page = 0;
            for (int i = 0; i < count; i++)
            {
                final long offset = dmaAddresses[i] & granuleMask;
                if (bytes[i] <= 0 || bytes[i] > PHYS_MASK)
                {
                    throw new IllegalArgumentException("bytes[" + i + "]=" + bytes[i] + " must be in [1, 2^52)");
                }
                if (dmaAddresses[i] - offset != iova + (page << granuleShift))
                {
                    throw new IllegalArgumentException("dmaAddresses[" + i + "]=" + hex(dmaAddresses[i]) + " does not start on the page " +
                        "after dmaAddresses[" + (i - 1) + "] ends (" + hex(iova + (page << granuleShift)) + "): unmapSg takes the " +
                        "addresses mapSg returned, in order, with the same lengths");
                }
                page += pagesOf(offset, bytes[i]);
            }
            unmapPages(iova, page, device);
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    /**
     * Translates an address as the IOMMU would.
     *
     * @param iova any address.
     * @return a packed {@link Translation}, or {@link Translation#FAULT}.
     * @throws IllegalStateException after {@link #close()}.
     */
    public long translate(final long iova)
    {
        final int stripe = gate.enter(this);
        try
        {
            return pageTable.walk(iova);
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    /**
     * @param iova any address.
     * @return the translation, or null when not mapped (allocates: for tests and tools).
     */
    public Translation translation(final long iova)
    {
        return Translation.of(translate(iova));
    }

    /**
     * A handle that maps with a fixed DMA mask: what a driver keeps per device.
     *
     * @param maskBits the device's DMA mask width, 1 to 64.
     * @return the handle.
     * @throws IllegalStateException after {@link #close()}.
     */
    public DmaDevice device(final int maskBits)
    {
        checkOpen();
        checkMaskBits(maskBits);
        final int id = devices.incrementAndGet();
        if (id > PageTableDescriptor.MAX_DEVICES)
        {
            devices.decrementAndGet();
            throw new IllegalStateException("a domain tells at most " + PageTableDescriptor.MAX_DEVICES +
                " devices apart, and all are attached: " + this);
        }
        return new DmaDevice(this, maskBits, id);
    }

    /**
     * @return how many devices switched to their full DMA mask for good after their first
     *         allocation below 4 GiB failed (see {@link DmaDevice#usesFullMask()}).
     * @throws IllegalStateException after {@link #close()}.
     */
    public long fullMaskSwitches()
    {
        checkOpen();
        return fullMaskSwitches.get();
    }

    // ---------------------------------------------------------------------------------------------
    // MSI doorbells
    // ---------------------------------------------------------------------------------------------

    /**
     * Maps the page of an MSI doorbell inside the software-MSI window, once for every caller of
     * the same page: later calls return the same IOVA and count one more user.
     *
     * @param doorbellPhys the doorbell's physical address.
     * @return the IOVA the device must write to (the page's IOVA plus the doorbell's offset), or
     *         {@link #NO_ADDRESS} when every page of the window holds another doorbell.
     * @throws IllegalStateException    when the domain has no software-MSI window, or after {@link #close()}.
     * @throws IllegalArgumentException when {@code doorbellPhys} is beyond 52 bits.
     */
    public long mapMsi(final long doorbellPhys)
    {
        final int stripe = gate.enter(this);
        try
        {
            checkMsiWindow();
            checkPhys(doorbellPhys, 1);
            final long offset = doorbellPhys & granuleMask;
            final long physPage = doorbellPhys - offset;
            synchronized (msiLock)
            {
                int free = -1;
                for (int slot = 0; slot < msiRefs.length; slot++)
                {
                    if (msiRefs[slot] > 0 && msiPhysPage[slot] == physPage)
                    {
                        msiRefs[slot]++;
                        return msiIova(slot) + offset;
                    }
                    if (free < 0 && isFreeMsiSlot(slot))
                    {
                        free = slot;
                    }
                }
                if (free < 0 || !pageTable.map(msiIova(free), physPage, granuleMask + 1, Protection.WRITE, FIRST | LAST | FIXED))
                {
                    return NO_ADDRESS;
                }
                if (msiRefs[free] == MSI_QUARANTINED)
                {
                    msiQuarantined--;
                }
                msiPhysPage[free] = physPage;
                msiRefs[free] = 1;
                return msiIova(free) + offset;
            }
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    /**
     * Drops one user of an MSI doorbell page; the last one unmaps it (with a strict invalidation,
     * before the page of the window can hold another doorbell).
     *
     * @param msiAddress an address {@link #mapMsi(long)} returned.
     * @throws IllegalArgumentException when no doorbell is mapped there.
     * @throws IllegalStateException    when the domain has no software-MSI window, or after {@link #close()}.
     */
    public void unmapMsi(final long msiAddress)
    {
        final int stripe = gate.enter(this);
        try
        {
            checkMsiWindow();
            final long slotIndex = (msiAddress >>> granuleShift) - msiFirstPfn;
            synchronized (msiLock)
            {
                if (msiAddress < 0 || slotIndex < 0 || slotIndex >= msiRefs.length || msiRefs[(int)slotIndex] == 0)
                {
                    throw new IllegalArgumentException("iova=" + hex(msiAddress) + " is not a mapped MSI doorbell");
                }
                final int slot = (int)slotIndex;
                if (--msiRefs[slot] == 0)
                {
                    final long iova = msiIova(slot);
                    final int tablesFreed = pageTable.unmap(iova, granuleMask + 1, IoPageTable.UNMAP_ONE_FIXED);
                    final long retired = pageTable.retireSequence();
                    try
                    {
                        iotlb.invalidateRange(iova, granuleMask + 1, granuleMask + 1, tablesFreed != 0);
                    }
                    catch (final RuntimeException | Error ex)
                    {
                        // The page stays out of use until an invalidation that begins now completes.
                        msiRefs[slot] = MSI_QUARANTINED;
                        msiQuarantineTag[slot] = pageTable.clock().tagAfterUnmap();
                        msiQuarantined++;
                        throw ex;
                    }
                    pageTable.releaseMeeting(iova, granuleMask + 1, retired);
                }
            }
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    /** For an IOTLB without a whole invalidation: invalidates each doorbell page whose unmap's invalidation threw. */
    private void retryMsiRanged()
    {
        synchronized (msiLock)
        {
            for (int slot = 0; slot < msiRefs.length && msiQuarantined > 0; slot++)
            {
                if (msiRefs[slot] == MSI_QUARANTINED)
                {
                    final long retired = pageTable.retireSequence();
                    iotlb.invalidateRange(msiIova(slot), granuleMask + 1, granuleMask + 1, true);
                    pageTable.releaseMeeting(msiIova(slot), granuleMask + 1, retired);
                    msiRefs[slot] = 0;
                    msiQuarantined--;
                }
            }
        }
    }

    /** A page whose unmap's invalidation threw is free again once a later invalidation has completed. */
    private boolean isFreeMsiSlot(final int slot)
    {
        return msiRefs[slot] == 0 || (msiRefs[slot] == MSI_QUARANTINED && pageTable.clock().covers(msiQuarantineTag[slot]));
    }

    /**
     * @return doorbell pages mapped in the software-MSI window now.
     * @throws IllegalStateException after {@link #close()}.
     */
    public int msiPages()
    {
        checkOpen();
        synchronized (msiLock)
        {
            int pages = 0;
            for (final int refs : msiRefs)
            {
                pages += refs > 0 ? 1 : 0;
            }
            return pages;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Flush, inspection, close
    // ---------------------------------------------------------------------------------------------

    /**
     * Forces the flush queues out: one whole-IOTLB invalidation, then every IOVA queued before the
     * call is freed. Does nothing in strict mode (nothing waits) or when nothing is queued.
     *
     * @throws IllegalStateException after {@link #close()}.
     */
    public void flush()
    {
        final int stripe = gate.enter(this);
        try
        {
            flushUnderGate();
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    private void flushUnderGate()
    {
        final boolean msiWaiting = msiQuarantined > 0;
        if (msiWaiting && !iotlb.canInvalidateAll())
        {
            retryMsiRanged();
        }
        if (queues != null)
        {
            queues.flush(msiWaiting);
        }
        else if (msiWaiting || !quarantine.isEmpty() || pageTable.hasRetiredTables() || pageTable.hasEmptyTables())
        {
            resources.invalidateAllAndRelease();
        }
    }

    /**
     * The flush-queue timeout without further unmaps: flushes when any queue's oldest entry is older
     * than the timeout. Cheap when nothing has expired (one read per queue). The flush timer calls
     * it; call it yourself when the timer is off.
     *
     * @return true when it flushed.
     * @throws IllegalStateException after {@link #close()}.
     */
    public boolean flushExpired()
    {
        final int stripe = gate.enter(this);
        try
        {
            return queues != null && queues.flushExpired(System.nanoTime());
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    /**
     * @return unmapped IOVA ranges waiting in flush queues (racy; 0 in strict mode).
     * @throws IllegalStateException after {@link #close()}.
     */
    public long queuedUnmaps()
    {
        final int stripe = gate.enter(this);
        try
        {
            return queues == null ? 0 : queues.queuedEntries();
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    /**
     * @return unmapped IOVA ranges whose invalidation threw and that wait for the next successful
     *         one (see {@link Iotlb}), MSI doorbell pages not included.
     * @throws IllegalStateException after {@link #close()}.
     */
    public int quarantinedUnmaps()
    {
        checkOpen();
        return quarantine.size();
    }

    /**
     * @return whole-IOTLB invalidations the flush queues issued (0 in strict mode).
     * @throws IllegalStateException after {@link #close()}.
     */
    public long flushBatches()
    {
        checkOpen();
        return queues == null ? 0 : queues.batches();
    }

    /**
     * @return how many times the flush timer's flush threw (each went to the failure handler, see
     *         {@link Builder#flushTimerFailureHandler}); 0 without a timer.
     * @throws IllegalStateException after {@link #close()}.
     */
    public long flushTimerFailures()
    {
        checkOpen();
        return flushTimer == null ? 0 : flushTimer.failures.get();
    }

    /**
     * @return the invalidation mode.
     * @throws IllegalStateException after {@link #close()}.
     */
    public InvalidationMode invalidationMode()
    {
        checkOpen();
        return mode;
    }

    /**
     * @return the IOTLB this domain invalidates.
     * @throws IllegalStateException after {@link #close()}.
     */
    public Iotlb iotlb()
    {
        checkOpen();
        return iotlb;
    }

    /**
     * @return the reserved regions carved at creation.
     * @throws IllegalStateException after {@link #close()}.
     */
    public ReservedRegionList regions()
    {
        checkOpen();
        return regions;
    }

    /**
     * @return the page size in bytes.
     * @throws IllegalStateException after {@link #close()}.
     */
    public long granuleBytes()
    {
        checkOpen();
        return granuleMask + 1;
    }

    /**
     * @return the default DMA mask width.
     * @throws IllegalStateException after {@link #close()}.
     */
    public int dmaMaskBits()
    {
        checkOpen();
        return defaultMaskBits;
    }

    /**
     * @return IOVA ranges allocated now (mapped, or waiting for an invalidation), not counting
     *         the free ranges the range caches hold (it gives those back to the tree first).
     * @throws IllegalStateException after {@link #close()}.
     */
    public long liveIovaRanges()
    {
        final int stripe = gate.enter(this);
        try
        {
            iovas.flushCaches();
            return iovas.liveRanges();
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    /**
     * Checks the allocator's invariants (the tree's order and gaps).
     *
     * @throws IllegalStateException when one is broken, naming it, or after {@link #close()}.
     */
    public void verifyIovas()
    {
        final int stripe = gate.enter(this);
        try
        {
            iovas.verify();
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    /**
     * @return page tables in use: installed, or detached and waiting for an invalidation (the root included).
     * @throws IllegalStateException after {@link #close()}.
     */
    public int liveTables()
    {
        final int stripe = gate.enter(this);
        try
        {
            return pageTable.liveTables();
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    /**
     * @return detached page tables waiting for an invalidation before they are reused.
     * @throws IllegalStateException after {@link #close()}.
     */
    public int retiredTables()
    {
        final int stripe = gate.enter(this);
        try
        {
            return pageTable.retiredTables();
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    /** The allocator underneath (tests of this package); the public API reads it through the methods above. */
    IovaDomain iovaDomain()
    {
        checkOpen();
        return iovas;
    }

    /** The page table (tests of this package); its own {@code close()} refuses. */
    IoPageTable pageTable()
    {
        checkOpen();
        return pageTable;
    }

    /** @return off-heap bytes held: allocator, page tables, flush queues (0 after {@link #close()}). */
    public long offHeapBytes()
    {
        if (gate.isClosed())
        {
            return 0;
        }
        return iovas.offHeapBytes() + pageTable.offHeapBytes() + (queues == null ? 0 : queues.offHeapBytes());
    }

    /** @return true once {@link #close()} has begun. */
    public boolean isClosed()
    {
        return gate.isClosed();
    }

    /**
     * Waits for the calls in progress, stops the flush timer, flushes the queues and the quarantine
     * (one invalidation, every waiting IOVA freed), then frees all off-heap memory. Later calls
     * throw {@link IllegalStateException}; closing twice is harmless.
     *
     * <p>Called from inside one of this domain's calls on the same thread (an {@link Iotlb}
     * callback), it marks the domain closed at once and the rest happens when the outermost call
     * returns. When the final invalidation throws, the memory is freed all the same and the
     * exception is rethrown (or, deferred, dropped).
     */
    @Override
    public void close()
    {
        if (gate.close() == OperationGate.IDLE)
        {
            resources.flushThenRelease();
        }
    }

    @Override
    public String toString()
    {
        return "DmaDomain{granule=" + (granuleMask + 1) + ", pfns=[" + hex(startPfn) + ", " + hex(lastPfn) + "], " + mode +
            ", maskBits=" + defaultMaskBits + (gate.isClosed() ? ", closed}" : "}");
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    private void unmapPages(final long iova, final long pages, final DmaDevice device)
    {
        final long bytes = pages << granuleShift;
        final long gather = pageTable.unmap(iova, bytes, IoPageTable.UNMAP_ONE_DMA, device == null ? -1L : device.ownerBits(), device);
        final long pfn = iova >>> granuleShift;
        if (queues == null)
        {
            invalidateThenFree(iova, pfn, pages, IoPageTable.pageBytes(gather), IoPageTable.tablesFreed(gather) != 0);
            if (pageTable.reclaimWanted())
            {
                reclaimEmptiedTables();
            }
        }
        else
        {
            queues.queue(pfn, pages, pageTable.clock().tagAfterUnmap(), System.nanoTime());
        }
    }

    /**
     * Strict mode's reclaim pass, due once 64 emptied tables wait: they are detached, then one
     * whole invalidation covers them. The unmap that got here is complete, so an IOTLB failure is
     * not its caller's: the detached tables stay retired, tagged, until a later invalidation.
     */
    private void reclaimEmptiedTables()
    {
        try
        {
            resources.invalidateAllAndRelease();
        }
        catch (final RuntimeException ex)
        {
            // nothing is lost: what the pass detached waits for the next invalidation that completes
        }
    }

    /**
     * Strict mode's invalidation of a range whose entries are cleared, then its IOVA freed. When the
     * IOTLB throws, the range goes to the quarantine (freed by the next invalidation that completes)
     * and the exception goes to the caller.
     */
    private void invalidateThenFree(final long iova, final long pfn, final long pages, final long pageBytes, final boolean tablesFreed)
    {
        final long bytes = pages << granuleShift;
        final long retired = pageTable.retireSequence();
        try
        {
            iotlb.invalidateRange(iova, bytes, pageBytes, tablesFreed);
        }
        catch (final RuntimeException | Error ex)
        {
            quarantine.add(pfn, pages, pageTable.clock().tagAfterUnmap());
            throw ex;
        }
        pageTable.releaseMeeting(iova, bytes, retired);
        sink.free(pfn, pages);
        if (!quarantine.isEmpty())
        {
            resources.invalidateAllAndRelease(); // the IOTLB works again: retry what an earlier failure left
        }
    }

    /**
     * Gives back the IOVA of a map that ran out of page-table memory. Leaves it wrote were visible
     * for a moment and are cleared now, so the range is invalidated before the IOVA is freed, which
     * also lets the tables the failed map detached be reused (Linux's unwinding {@code iommu_unmap}
     * syncs the IOTLB too). Rare: never on the hot path.
     */
    private void abandon(final long iova, final long pfn, final long pages)
    {
        invalidateThenFree(iova, pfn, pages, granuleMask + 1, true);
    }

    private boolean mapFresh(final long iova, final long physPage, final long pages, final Protection protection,
        final long softwareBits, final long pfn)
    {
        try
        {
            return pageTable.map(iova, physPage, pages << granuleShift, protection, softwareBits);
        }
        catch (final IllegalArgumentException ex)
        {
            // Every value was checked: an entry in a freshly allocated IOVA range is a broken invariant.
            throw new IllegalStateException("IOVA range at pfn=" + hex(pfn) + " was handed out while still mapped", ex);
        }
    }

    /**
     * The IOVA alignment of a map large enough for block entries (iommufd's rule): the largest power
     * of two that divides the physical page address, capped at the largest block size not above the
     * mapping's length ({@link Alignments#iommufdAlignmentPages}), so that an IOVA and a physical
     * address aligned alike can use blocks, and the allocator wastes no more than that.
     *
     * @param physPage the page-aligned physical address.
     * @param pages    the mapping's length in pages, at least {@link #blockAlignMinPages}.
     * @return the alignment in pages; 0 (size-aligned) when blocks were turned off on the table.
     */
    private long blockAlignPages(final long physPage, final long pages)
    {
        final long bytes = pages << granuleShift;
        final long blockBytes = pageTable.largestBlockBytesWithin(bytes);
        return blockBytes == 0 ? 0 : Alignments.iommufdAlignmentPages(physPage, bytes, blockBytes, granuleMask + 1);
    }

    /**
     * The one place the DMA layer allocates IOVAs: below 4 GiB first when the policy and the mask
     * allow it, then below {@code limitPfn}. A device stops trying below 4 GiB after its first
     * failure there (one-shot, mainline Linux); calls without a device keep Linux's older
     * {@code max32_alloc_size} rule (skip sizes that failed until an IOVA below 4 GiB is freed).
     */
    private long allocIova(final long pages, final long limitPfn, final DmaDevice device)
    {
        return allocIova(pages, limitPfn, device, 0);
    }

    /**
     * As {@link #allocIova(long, long, DmaDevice)}, aligned to {@code alignPages} when it is not 0
     * (a map large enough for blocks, beyond the range caches: {@link #blockAlignPages}), else
     * size-aligned through the range caches.
     */
    private long allocIova(final long pages, final long limitPfn, final DmaDevice device, final long alignPages)
    {
        if (try32BitFirst && limitPfn > pfn32 && pfn32 >= startPfn && (device == null ? pages < sink.failed32BitPages : !device.usesFullMask()))
        {
            final long pfn = allocAligned(pages, pfn32, alignPages);
            if (pfn != NO_ADDRESS)
            {
                return pfn;
            }
            if (device != null)
            {
                fullMaskFallback(device);
            }
            else if (pages < sink.failed32BitPages)
            {
                sink.failed32BitPages = pages; // a benign race: the smallest failing size wins eventually
            }
        }
        return allocAligned(pages, limitPfn, alignPages);
    }

    /**
     * @param alignPages 0 for the range caches' size-aligned path; else the alignment, for a range
     *                   beyond the caches (the tree, as the caches' own large requests go: flushed and
     *                   asked again when nothing fits). Freed as any large range, by the tree.
     */
    private long allocAligned(final long pages, final long limitPfn, final long alignPages)
    {
        if (alignPages == 0)
        {
            return IOVAS.allocFastTrusted(iovas, pages, limitPfn);
        }
        final long pfn = iovas.alloc(pages, limitPfn, alignPages, Fit.HIGHEST);
        if (pfn != NO_ADDRESS)
        {
            return pfn;
        }
        iovas.flushCaches(); // ranges sitting in the caches may be what blocks a large request
        return iovas.alloc(pages, limitPfn, alignPages, Fit.HIGHEST);
    }

    private void fullMaskFallback(final DmaDevice device)
    {
        if (device.switchToFullMask())
        {
            fullMaskSwitches.incrementAndGet();
            if (fullMaskListener != null)
            {
                fullMaskListener.accept(device);
            }
        }
    }

    /**
     * Frees IOVAs into the allocator, for the domain and for what the flush queues and the
     * quarantine release; keeps Linux's {@code max32_alloc_size}. Made once, so queueing allocates
     * nothing; reaches the allocator, never the domain (so a Cleaner can collect the domain).
     */
    static final class IovaSink implements FlushQueues.IovaSink
    {
        private final IovaDomain iovas;
        private final long pfn32;
        /** The smallest size that failed below 4 GiB since an IOVA there was last freed. */
        volatile long failed32BitPages = Long.MAX_VALUE;

        IovaSink(final IovaDomain iovas, final long pfn32)
        {
            this.iovas = iovas;
            this.pfn32 = pfn32;
        }

        @Override
        public void free(final long pfn, final long pages)
        {
            IOVAS.freeFastTrusted(iovas, pfn, pages);
            if (pfn <= pfn32 && failed32BitPages != Long.MAX_VALUE)
            {
                failed32BitPages = Long.MAX_VALUE;
            }
        }
    }

    private long limitPfn(final int maskBits, final long pages, final long bytes)
    {
        checkMaskBits(maskBits);
        final long maskLastPfn = maskBits == 64 ? -1L >>> granuleShift : ((1L << maskBits) - 1) >>> granuleShift;
        final long limitPfn = Math.min(lastPfn, maskLastPfn);
        if (limitPfn < startPfn || pages > limitPfn - startPfn + 1)
        {
            if (limitPfn < startPfn)
            {
                throw new IllegalArgumentException("a " + maskBits + "-bit DMA mask reaches no usable IOVA: the mask ends at pfn " +
                    hex(maskLastPfn) + " and the domain's aperture starts above it, at pfn " + hex(startPfn));
            }
            throw new IllegalArgumentException("bytes=" + hex(bytes) + " (" + pages + " pages) cannot fit below the " + maskBits +
                "-bit DMA mask: usable pfns [" + hex(startPfn) + ", " + hex(limitPfn) + "]");
        }
        return limitPfn;
    }

    private long pagesOf(final long offset, final long bytes)
    {
        return (offset + bytes + granuleMask) >>> granuleShift;
    }

    private long msiIova(final int slot)
    {
        return (msiFirstPfn + slot) << granuleShift;
    }

    private void checkMsiWindow()
    {
        if (msiRefs.length == 0)
        {
            throw new IllegalStateException("no software-MSI window: the domain's reserved regions have no sw-msi region " +
                "within the IOVA space (" + regions.size() + " regions)");
        }
    }

    private static void checkPhys(final long phys, final long bytes)
    {
        if (bytes <= 0 || phys < 0 || phys > PHYS_MASK || bytes - 1 > PHYS_MASK - phys)
        {
            throw new IllegalArgumentException("phys=" + hex(phys) + " bytes=" + hex(bytes) +
                (bytes <= 0 ? ": bytes must be at least 1" : ": goes beyond 52-bit physical addresses"));
        }
    }

    private static void checkMaskBits(final int maskBits)
    {
        if (maskBits < 1 || maskBits > 64)
        {
            throw new IllegalArgumentException("maskBits=" + maskBits + " must be in [1, 64]");
        }
    }

    private static void checkSgArrays(final String firstName, final long[] first, final long[] bytes, final int count,
        final long[] out)
    {
        if (first == null || bytes == null || out == null)
        {
            throw new IllegalArgumentException((first == null ? firstName : bytes == null ? "bytes" : "dmaAddresses") +
                " is null: pass one array of " + count + " or more entries");
        }
        if (count < 1 || first.length < count || bytes.length < count || out.length < count)
        {
            throw new IllegalArgumentException("count=" + count + " must be at least 1 and within every array (lengths " +
                first.length + ", " + bytes.length + ", " + out.length + ")");
        }
    }

    private void checkAperture(final long startByte, final long endByte, final long maxIova)
    {
        if (Long.compareUnsigned(endByte, maxIova) > 0 || Long.compareUnsigned(startByte, endByte) >= 0)
        {
            throw new IllegalArgumentException("aperture [" + hex(startByte) + ", " + hex(endByte) + "] must be a non-empty " +
                "range within the IOVA space [0x0, " + hex(maxIova) + "]");
        }
        if ((startByte & granuleMask) != 0 || ((endByte + 1) & granuleMask) != 0)
        {
            throw new IllegalArgumentException("aperture [" + hex(startByte) + ", " + hex(endByte) + "] must start and end on " +
                (granuleMask + 1) + "-byte page boundaries");
        }
    }

    private ReservedRegion firstOfType(final RegionType type)
    {
        for (final ReservedRegion region : regions.regions())
        {
            if (region.type() == type)
            {
                return region;
            }
        }
        return null;
    }

    /**
     * Identity-maps every direct and direct-relaxable region within the page table's reach, a page
     * at a time so that overlapping direct regions of both kinds get the union of their protections.
     */
    private void identityMapDirectRegions(final long maxIova)
    {
        final long pageBytes = granuleMask + 1;
        for (final ReservedRegion region : regions.regions())
        {
            if (!region.type().isDirect() || Long.compareUnsigned(region.startByte(), maxIova) > 0)
            {
                continue;
            }
            final long firstPage = region.startByte() & ~granuleMask;
            final long lastPage = (Long.compareUnsigned(region.endByte(), maxIova) > 0 ? maxIova : region.endByte()) & ~granuleMask;
            for (long page = firstPage; page <= lastPage; page += pageBytes)
            {
                final long existing = pageTable.walk(page);
                Protection protection = region.protection();
                if (!Translation.isFault(existing))
                {
                    final Protection union = Translation.protection(existing).union(protection);
                    if (union == Translation.protection(existing))
                    {
                        continue;
                    }
                    pageTable.unmap(page, pageBytes, IoPageTable.UNMAP_ONE_FIXED);
                    protection = union;
                }
                if (!pageTable.map(page, page, pageBytes, protection, FIRST | LAST | FIXED))
                {
                    throw new IllegalStateException("out of page-table memory identity-mapping " + region);
                }
            }
        }
    }

    private void checkOpen()
    {
        if (gate.isClosed())
        {
            throw new IllegalStateException("domain is closed: " + this);
        }
    }

    /** @return the flush timer's thread, or null (for tests). */
    Thread flushTimerThread()
    {
        return resources.flushTimerThread;
    }

    /**
     * Everything a domain must give back, reachable without the domain itself: the action of its
     * {@link Cleaner} (run when the domain becomes unreachable unclosed), and the end of every close.
     */
    private static final class Resources implements Runnable
    {
        private final Iotlb iotlb;
        private final IovaDomain iovas;
        private final AtomicBoolean released = new AtomicBoolean();
        private OperationGate gate;
        private IoPageTable pageTable;
        private Quarantine quarantine;
        private FlushQueues queues;
        private Cleaner.Cleanable cleanable;
        private volatile Thread flushTimerThread;

        Resources(final Iotlb iotlb, final IovaDomain iovas)
        {
            this.iotlb = iotlb;
            this.iovas = iovas;
        }

        /** The Cleaner's action: the domain is unreachable; wait for any call a JIT let outlive it, then free. */
        @Override
        public void run()
        {
            if (gate.close() == OperationGate.IDLE)
            {
                releaseMemory();
            }
        }

        /**
         * One whole-IOTLB invalidation, then what it covers is freed: quarantined IOVAs and detached
         * tables. An IOTLB without a whole invalidation gets each quarantined range instead.
         */
        void invalidateAllAndRelease()
        {
            if (!iotlb.canInvalidateAll())
            {
                quarantine.releaseRanged(iotlb, pageTable);
                return;
            }
            pageTable.reclaimEmptyTables(); // detached before the ticket: this invalidation covers them
            final long ticket = pageTable.clock().begin();
            iotlb.invalidateAll();
            pageTable.completeInvalidation(ticket);
            quarantine.releaseCovered();
        }

        /** The end of a close with the gate drained: flush, then free even when the flush throws. */
        void flushThenRelease()
        {
            try
            {
                stopFlushTimer();
                if (queues != null)
                {
                    queues.flush(false);
                }
                else if (!quarantine.isEmpty() || pageTable.hasRetiredTables() || pageTable.hasEmptyTables())
                {
                    invalidateAllAndRelease();
                }
            }
            finally
            {
                releaseMemory();
                cleanable.clean(); // deregisters; run() then finds the gate closed
            }
        }

        /** Run by the last call to leave after a close from inside a call (an Iotlb callback). */
        void releaseAfterDeferredClose()
        {
            try
            {
                flushThenRelease();
            }
            catch (final RuntimeException | Error ex)
            {
                // The memory is freed; the call that leaves last is not the one that closed, so
                // what the final invalidation threw has nobody to go to.
            }
        }

        void releaseMemory()
        {
            if (!released.compareAndSet(false, true))
            {
                return;
            }
            try
            {
                stopFlushTimer();
                if (queues != null)
                {
                    queues.close();
                }
                if (pageTable != null)
                {
                    pageTable.closeOwned();
                }
            }
            finally
            {
                iovas.close();
            }
        }

        private void stopFlushTimer()
        {
            final Thread thread = flushTimerThread;
            if (thread != null && thread != Thread.currentThread())
            {
                LockSupport.unpark(thread);
                joinQuietly(thread);
            }
        }
    }

    /**
     * Calls {@link #flushExpired()} every half timeout until the domain closes or becomes
     * unreachable (it holds the domain weakly). An interrupt is cleared and ignored: the timer is the
     * domain's, and parking with the flag set would return at once, for ever. A flush that throws
     * (the {@link Iotlb} failed) is counted and handed to the failure handler; the timer goes on,
     * and what the flush was to free waits for the next one.
     */
    private static final class FlushTimer implements Runnable
    {
        private final WeakReference<DmaDomain> domain;
        private final OperationGate gate;
        private final long periodNanos;
        private final Consumer<Throwable> failureHandler;
        final AtomicLong failures = new AtomicLong();
        final AtomicLong interrupts = new AtomicLong();

        FlushTimer(final DmaDomain domain, final OperationGate gate, final long periodNanos, final Consumer<Throwable> failureHandler)
        {
            this.domain = new WeakReference<>(domain);
            this.gate = gate;
            this.periodNanos = periodNanos;
            this.failureHandler = failureHandler;
        }

        Thread start()
        {
            final Thread thread = new Thread(this, "dma-flush-timer");
            thread.setDaemon(true);
            thread.start();
            return thread;
        }

        @Override
        public void run()
        {
            while (!gate.isClosed())
            {
                LockSupport.parkNanos(periodNanos);
                if (Thread.interrupted())
                {
                    interrupts.incrementAndGet();
                }
                if (!tick())
                {
                    return;
                }
            }
        }

        /** @return false when the domain is gone or closed. Holds the domain only for the call. */
        private boolean tick()
        {
            final DmaDomain target = domain.get();
            if (target == null)
            {
                return false;
            }
            try
            {
                target.flushExpired();
            }
            catch (final IllegalStateException ex)
            {
                if (target.isClosed())
                {
                    return false;
                }
                report(ex);
            }
            catch (final RuntimeException | Error ex)
            {
                report(ex);
            }
            return true;
        }

        private void report(final Throwable failure)
        {
            failures.incrementAndGet();
            try
            {
                if (failureHandler != null)
                {
                    failureHandler.accept(failure);
                }
                else
                {
                    final Thread thread = Thread.currentThread();
                    thread.getUncaughtExceptionHandler().uncaughtException(thread, failure);
                }
            }
            catch (final RuntimeException | Error ignored)
            {
                // a handler that throws must not stop the timer
            }
        }
    }

    private static void joinQuietly(final Thread thread)
    {
        boolean interrupted = false;
        while (true)
        {
            try
            {
                thread.join();
                break;
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Ranges per IOVA magazine: in lazy mode with a flush queue per stripe, one queue's batch (at
     * most {@value #MAX_BATCH_MAGAZINE_RANGES}), so that the batch a thread's queue frees goes back
     * into that thread's own magazines. With Linux's pairing (127-range magazines, 256-entry
     * queues) every batch spilled into the depot, threads took each other's magazines, and their
     * IOVAs ended up sharing page-table lines: in {@code MapUnmapBenchmark} 2.3% to 36% of two
     * threads' maps touched a line the other thread had touched last, at most 0.3% with the batch
     * fitting (2 threads 1.1x to 1.2x one thread's throughput, against 1.65x to 1.9x;
     * {@code docs/dma.md}). Otherwise Linux's 127.
     */
    static int magazineRanges(final Builder builder)
    {
        final boolean perStripeQueues = builder.mode == InvalidationMode.LAZY && builder.flushQueueStripes != 1;
        return perStripeQueues ? Math.max(IovaDomain.Builder.DEFAULT_MAGAZINE_RANGES, Math.min(MAX_BATCH_MAGAZINE_RANGES,
            builder.flushQueueEntries)) : IovaDomain.Builder.DEFAULT_MAGAZINE_RANGES;
    }

    /** The largest magazine {@link #magazineRanges(Builder)} asks for: 1,024 ranges, 8 KiB. */
    static final int MAX_BATCH_MAGAZINE_RANGES = 1024;

    static int defaultStripes()
    {
        return OperationGate.defaultStripes();
    }

    private static final long UNSET = -1L;

    /** Configures a domain; every setter checks its argument at once. */
    public static final class Builder
    {
        private long granuleBytes = 1L << IoPageTable.DEFAULT_GRANULE_SHIFT;
        private int bitsPerLevel = IoPageTable.DEFAULT_BITS_PER_LEVEL;
        private int iovaBits = IoPageTable.DEFAULT_IOVA_BITS;
        private int maxTables = IoPageTable.DEFAULT_MAX_TABLES;
        private long apertureStartByte;
        private long apertureEndByte = UNSET;
        private int dmaMaskBits = 64;
        private boolean try32BitFirst = true;
        private ReservedRegionList regions = ReservedRegionList.empty();
        private InvalidationMode mode = InvalidationMode.STRICT;
        private Iotlb iotlb;
        private int flushQueueEntries = DEFAULT_FLUSH_QUEUE_ENTRIES;
        private long flushTimeoutNanos = DEFAULT_FLUSH_TIMEOUT_NANOS;
        private int flushQueueStripes;
        private boolean flushTimer = true;
        private Consumer<Throwable> flushTimerFailureHandler;
        private Consumer<DmaDevice> fullMaskListener;
        private boolean reclaimEmptyTables = true;
        private boolean blockMappings = true;

        private Builder()
        {
        }

        /**
         * @param granuleBytes the page size, a power of two from 4 KiB to 1 GiB.
         * @return this builder.
         */
        public Builder granuleBytes(final long granuleBytes)
        {
            if (granuleBytes < 4096 || granuleBytes > (1L << 30) || Long.bitCount(granuleBytes) != 1)
            {
                throw new IllegalArgumentException("granuleBytes=" + granuleBytes + " must be a power of two from 4096 to 2^30");
            }
            this.granuleBytes = granuleBytes;
            return this;
        }

        /**
         * @param bitsPerLevel log2 of the entries per page table, 1 to 16 (default 9: 512 entries).
         * @return this builder.
         */
        public Builder bitsPerLevel(final int bitsPerLevel)
        {
            if (bitsPerLevel < 1 || bitsPerLevel > 16)
            {
                throw new IllegalArgumentException("bitsPerLevel=" + bitsPerLevel + " must be in [1, 16]");
            }
            this.bitsPerLevel = bitsPerLevel;
            return this;
        }

        /**
         * @param iovaBits width of the IOVA space the page table covers, above the granule shift, at most 63 (default 48).
         * @return this builder.
         */
        public Builder iovaBits(final int iovaBits)
        {
            if (iovaBits < 13 || iovaBits > 63)
            {
                throw new IllegalArgumentException("iovaBits=" + iovaBits + " must be in [13, 63]");
            }
            this.iovaBits = iovaBits;
            return this;
        }

        /**
         * @param maxTables the most page tables that may exist at once (default 1 Mi).
         * @return this builder.
         */
        public Builder maxTables(final int maxTables)
        {
            if (maxTables < 1)
            {
                throw new IllegalArgumentException("maxTables=" + maxTables + " must be at least 1");
            }
            this.maxTables = maxTables;
            return this;
        }

        /**
         * The addresses the IOMMU translates; {@code map} allocates only inside it (never pfn 0).
         *
         * @param startByte first byte, granule-aligned.
         * @param endByte   last byte (inclusive), the byte before a granule boundary, within the IOVA space.
         * @return this builder.
         */
        public Builder aperture(final long startByte, final long endByte)
        {
            if (Long.compareUnsigned(endByte, startByte) <= 0)
            {
                throw new IllegalArgumentException("aperture [" + hex(startByte) + ", " + hex(endByte) + "] is empty or reversed");
            }
            this.apertureStartByte = startByte;
            this.apertureEndByte = endByte;
            return this;
        }

        /**
         * @param dmaMaskBits the width of the DMA mask used when a call gives none, 1 to 64 (default 64).
         * @return this builder.
         */
        public Builder dmaMaskBits(final int dmaMaskBits)
        {
            checkMaskBits(dmaMaskBits);
            this.dmaMaskBits = dmaMaskBits;
            return this;
        }

        /**
         * @param try32BitFirst when true (default, Linux's policy), a device whose mask is wider than
         *                      32 bits gets an IOVA below 4 GiB when one is free, and one below its mask otherwise.
         * @return this builder.
         */
        public Builder try32BitFirst(final boolean try32BitFirst)
        {
            this.try32BitFirst = try32BitFirst;
            return this;
        }

        /**
         * @param regions reserved regions to carve out and, for direct kinds, identity-map.
         * @return this builder.
         */
        public Builder regions(final ReservedRegionList regions)
        {
            this.regions = Objects.requireNonNull(regions, "regions");
            return this;
        }

        /**
         * @param mode {@link InvalidationMode#STRICT} (default) or {@link InvalidationMode#LAZY}.
         * @return this builder.
         */
        public Builder invalidationMode(final InvalidationMode mode)
        {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * @param iotlb what to invalidate (default: a {@link SimulatedIotlb} that costs nothing).
         * @return this builder.
         */
        public Builder iotlb(final Iotlb iotlb)
        {
            this.iotlb = Objects.requireNonNull(iotlb, "iotlb");
            return this;
        }

        /**
         * @param flushQueueEntries entries per flush queue, 1 to 65536 (default 256).
         * @return this builder.
         */
        public Builder flushQueueEntries(final int flushQueueEntries)
        {
            if (flushQueueEntries < 1 || flushQueueEntries > 65536)
            {
                throw new IllegalArgumentException("flushQueueEntries=" + flushQueueEntries + " must be in [1, 65536]");
            }
            this.flushQueueEntries = flushQueueEntries;
            return this;
        }

        /**
         * @param flushTimeoutNanos how long an unmapped IOVA may wait in a queue before the next
         *                          unmap on that queue, or the flush timer, flushes it (default 10 ms).
         * @return this builder.
         */
        public Builder flushTimeoutNanos(final long flushTimeoutNanos)
        {
            if (flushTimeoutNanos < 0)
            {
                throw new IllegalArgumentException("flushTimeoutNanos=" + flushTimeoutNanos + " must not be negative");
            }
            this.flushTimeoutNanos = flushTimeoutNanos;
            return this;
        }

        /**
         * @param flushQueueStripes flush queues, a power of two from 1 to 1024. Default: four per
         *                          available processor, rounded up to a power of two, at most 256.
         * @return this builder.
         */
        public Builder flushQueueStripes(final int flushQueueStripes)
        {
            if (flushQueueStripes < 1 || flushQueueStripes > 1024 || Integer.bitCount(flushQueueStripes) != 1)
            {
                throw new IllegalArgumentException("flushQueueStripes=" + flushQueueStripes + " must be a power of two in [1, 1024]");
            }
            this.flushQueueStripes = flushQueueStripes;
            return this;
        }

        /**
         * @param flushTimer when true (default), lazy mode runs a daemon thread that applies the
         *                   timeout every half timeout even when no unmap comes (it holds the domain
         *                   weakly: closing the domain, or the domain becoming unreachable, stops
         *                   it); when false, the timeout is checked only by unmaps (their own queue)
         *                   and by {@link DmaDomain#flushExpired()}.
         * @return this builder.
         */
        public Builder flushTimer(final boolean flushTimer)
        {
            this.flushTimer = flushTimer;
            return this;
        }

        /**
         * @param handler receives what a flush of the flush timer threw (the {@link Iotlb} failed);
         *                the timer goes on either way. Default: the timer thread's uncaught-exception
         *                handler, which prints it. It runs on the timer thread and must not hold the domain.
         * @return this builder.
         */
        public Builder flushTimerFailureHandler(final Consumer<Throwable> handler)
        {
            this.flushTimerFailureHandler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * @param listener hears, once per device and on the thread whose map failed, that a device
         *                 switched to its full DMA mask after its first allocation below 4 GiB failed
         *                 (see {@link DmaDevice#usesFullMask()}); it must not call back into the domain's map.
         * @return this builder.
         */
        public Builder fullMaskListener(final Consumer<DmaDevice> listener)
        {
            this.fullMaskListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * @param reclaim true (default) to reclaim page tables that unmaps empty piece by piece, once
         *                an invalidation covers them (in strict mode one whole invalidation per 64
         *                emptied tables, or at {@link DmaDomain#flush()}; in lazy mode with the batches);
         *                false to keep them installed until {@link DmaDomain#close()}. An IOTLB
         *                without a whole invalidation ({@link Iotlb#canInvalidateAll()}) keeps them.
         * @return this builder.
         */
        public Builder reclaimEmptyTables(final boolean reclaim)
        {
            this.reclaimEmptyTables = reclaim;
            return this;
        }

        /**
         * @param blocks true (default) for block (huge-page) entries wherever a mapping's IOVA,
         *               physical address and length allow them ({@link IoPageTable#blockMappings(boolean)}),
         *               and IOVAs aligned for them; false for granule-sized leaves only, as before
         *               block entries existed.
         * @return this builder.
         */
        public Builder blockMappings(final boolean blocks)
        {
            this.blockMappings = blocks;
            return this;
        }

        /**
         * Lazy invalidation with one flush queue of {@value DmaDomain#SINGLE_FLUSH_QUEUE_ENTRIES} entries and a
         * 1,000 ms timeout, for an IOMMU whose invalidation is costly (mainline Linux's single flush
         * queue): far fewer invalidations than the per-thread queues (256 entries, 10 ms) at the price
         * of a shared lock and IOVAs that wait longer.
         *
         * @return this builder.
         */
        public Builder singleFlushQueue()
        {
            this.mode = InvalidationMode.LAZY;
            this.flushQueueStripes = 1;
            this.flushQueueEntries = SINGLE_FLUSH_QUEUE_ENTRIES;
            this.flushTimeoutNanos = SINGLE_FLUSH_QUEUE_TIMEOUT_NANOS;
            return this;
        }

        /**
         * @return a new domain, its regions carved and identity-mapped.
         * @throws IllegalArgumentException for an aperture outside the IOVA space, or regions that cannot be carved.
         * @throws IllegalStateException    when the JVM lacks the {@code --add-exports} Agrona needs.
         */
        public DmaDomain build()
        {
            if (iovaBits <= Long.numberOfTrailingZeros(granuleBytes))
            {
                throw new IllegalArgumentException("iovaBits=" + iovaBits + " must exceed the granule shift " +
                    Long.numberOfTrailingZeros(granuleBytes));
            }
            return new DmaDomain(this);
        }
    }
}
