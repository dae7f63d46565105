package dev.iova.bench.trace;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.SplittableRandom;

/**
 * Writes synthetic iova-trace workloads of a {@link TraceShape}.
 *
 * <p>Every v1 trace has the header, {@code domain granule=4096 start=0x1}, the x86 MSI reserve
 * {@code 0xfee00 0xfeeff} (and, for {@link TraceShape#MIXED}, PCI windows; for
 * {@link TraceShape#TIGHT}, a hole in its window), then exactly
 * {@code ops} {@code alloc} and {@code free} lines. It is always valid: ids are never reused
 * and only ids that were allocated and not yet freed are freed. Whether an allocation
 * succeeds is up to the allocator; when one fails, its free is skipped by the replay.
 *
 * <p>The v2 shape, {@link TraceShape#PLACEMENT}, is described at {@link #placement()}; it has
 * exactly {@code ops} {@code alloc}, {@code alloc-at} and {@code free} lines, and its
 * {@code allow}, {@code reserve} and {@code unreserve} lines besides.
 *
 * <p>The same shape, ops and seed always give the same text ({@link SplittableRandom} seeded
 * with {@code seed}), so a trace can be named by its command instead of being shipped.
 */
public final class TraceGenerator
{
    /** The granule of every generated domain: 4 KiB. */
    public static final long GRANULE_BYTES = 4096;

    /** The start pfn of every generated domain. */
    public static final long START_PFN = 1;

    /** Highest pfn below 1 GiB: a device with a 30-bit DMA mask. */
    public static final long LIMIT_30_BIT_PFN = (1L << (30 - 12)) - 1;

    /** Highest pfn below 4 GiB: a device with a 32-bit DMA mask. */
    public static final long LIMIT_32_BIT_PFN = (1L << (32 - 12)) - 1;

    /** Highest pfn below 512 GiB: a device with a 39-bit DMA mask. */
    public static final long LIMIT_39_BIT_PFN = (1L << (39 - 12)) - 1;

    /** Highest pfn below 256 TiB: a device with a 48-bit DMA mask. */
    public static final long LIMIT_48_BIT_PFN = (1L << (48 - 12)) - 1;

    /** First pfn of the x86 MSI doorbell window, 0xfee00000. */
    public static final long MSI_LO_PFN = 0xfee00L;

    /** Last pfn of the x86 MSI doorbell window, 0xfeefffff. */
    public static final long MSI_HI_PFN = 0xfeeffL;

    /** How far from the oldest a network buffer may complete: 0..3 places. */
    private static final int NETWORK_REORDER_WINDOW = 4;

    /** Ops between changes of the in-flight depth (network) or live-set size (storage) aimed at. */
    private static final int PHASE_OPS = 4096;

    /** Last pfn of the {@link TraceShape#TIGHT} window, which holds pfns 1 (the domain's start) to 2,047. */
    public static final long TIGHT_LIMIT_PFN = 0x7ffL;

    /** Last pfn of the lower half of the {@link TraceShape#TIGHT} window, the limit of a third of its requests. */
    public static final long TIGHT_LOW_LIMIT_PFN = 0x3ffL;

    /** First pfn of the hole reserved in the {@link TraceShape#TIGHT} window. */
    public static final long TIGHT_HOLE_LO_PFN = 0x300L;

    /** Last pfn of the hole reserved in the {@link TraceShape#TIGHT} window. */
    public static final long TIGHT_HOLE_HI_PFN = 0x37fL;

    /** Live maps the {@link TraceShape#TIGHT} shape aims at, failed ones included: several times what its window holds. */
    private static final int TIGHT_LIVE = 2048;

    /** The sizes the {@link TraceShape#TIGHT} shape draws from, as the conformance trace {@code tight-3000} has them. */
    private static final long[] TIGHT_PAGES = {1, 2, 3, 4, 8, 13, 16, 32, 64};

    /** Live large maps the fragmenting shape keeps, about. */
    private static final int FRAGMENTING_LIVE_LARGE = 256;

    private final SplittableRandom random;
    private final TraceWriter writer;
    private final long ops;
    private long nextId = 1;

    private TraceGenerator(final long ops, final long seed, final Writer out)
    {
        this.random = new SplittableRandom(seed);
        this.writer = new TraceWriter(out);
        this.ops = ops;
    }

    /**
     * Writes a trace.
     *
     * @param shape the workload.
     * @param ops   how many {@code alloc} and {@code free} lines, at least 0.
     * @param seed  any long; the same seed gives the same trace.
     * @param out   where the text goes; flushed, not closed.
     * @throws IOException when the output fails.
     */
    public static void generate(final TraceShape shape, final long ops, final long seed, final Writer out) throws IOException
    {
        if (ops < 0)
        {
            throw new IllegalArgumentException("ops=" + ops + " must be at least 0");
        }
        final TraceGenerator generator = new TraceGenerator(ops, seed, out);
        if (shape == TraceShape.PLACEMENT)
        {
            generator.placement(seed);
            out.flush();
            return;
        }
        generator.prologue(shape, seed);
        switch (shape)
        {
            case NETWORK:
                generator.network();
                break;
            case STORAGE:
                generator.storage();
                break;
            case FRAGMENTING:
                generator.fragmenting();
                break;
            case MIXED:
                generator.mixed();
                break;
            case TIGHT:
                generator.tight();
                break;
            default:
                throw new IllegalStateException("no generator for shape " + shape);
        }
        out.flush();
    }

    /**
     * Writes a trace into a string.
     *
     * @param shape the workload.
     * @param ops   how many {@code alloc} and {@code free} lines, at least 0.
     * @param seed  any long.
     * @return the trace text.
     */
    public static String generateText(final TraceShape shape, final long ops, final long seed)
    {
        final StringWriter text = new StringWriter();
        try
        {
            generate(shape, ops, seed, text);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("a StringWriter failed", ex);
        }
        return text.toString();
    }

    private void prologue(final TraceShape shape, final long seed) throws IOException
    {
        writer.header();
        writer.comment("allocator-bench gen " + shape.shapeName() + " --ops " + ops + " --seed " + seed);
        writer.comment(shape.description());
        writer.domain(GRANULE_BYTES, START_PFN);
        writer.reserve(MSI_LO_PFN, MSI_HI_PFN, "x86 MSI doorbells");
    }

    /**
     * A NIC: 1-page maps below 4 GiB. The in-flight depth aimed at changes every
     * {@link #PHASE_OPS} ops (32..1024); buffers complete oldest first, give or take
     * {@link #NETWORK_REORDER_WINDOW} places.
     */
    private void network() throws IOException
    {
        final LiveIds inFlight = new LiveIds();
        int depthTarget = 0;
        for (long op = 0; op < ops; op++)
        {
            if (op % PHASE_OPS == 0)
            {
                depthTarget = 32 + random.nextInt(993);
            }
            if (inFlight.isEmpty() || (inFlight.size() < depthTarget && random.nextInt(100) < 60))
            {
                inFlight.add(alloc(1, LIMIT_32_BIT_PFN));
            }
            else
            {
                writer.free(inFlight.removeNearOldest(random.nextInt(Math.min(NETWORK_REORDER_WINDOW, inFlight.size()))));
            }
        }
    }

    /**
     * A block device: 1..256 pages below 4 GiB, half of them powers of two, freed at random;
     * the live set aimed at changes every {@link #PHASE_OPS} ops (256..4096 maps).
     */
    private void storage() throws IOException
    {
        final LiveIds live = new LiveIds();
        int liveTarget = 0;
        for (long op = 0; op < ops; op++)
        {
            if (op % PHASE_OPS == 0)
            {
                liveTarget = 256 + random.nextInt(3841);
            }
            if (live.isEmpty() || (live.size() < liveTarget && random.nextInt(100) < 60))
            {
                final long pages = random.nextBoolean() ? 1L << random.nextInt(9) : 1 + random.nextInt(256);
                live.add(alloc(pages, LIMIT_32_BIT_PFN));
            }
            else
            {
                writer.free(live.removeAt(random.nextInt(live.size())));
            }
        }
    }

    /**
     * Fragments the 32-bit space: three ops in ten pin 1..2 pages under a limit drawn at random
     * below 4 GiB (so that the highest fit scatters the pins over the whole space) and never
     * free them; the rest map 8..1024 pages (powers of two, so naturally aligned) below 4 GiB
     * and free them at random, about {@link #FRAGMENTING_LIVE_LARGE} live at a time. As pins
     * accumulate, the large maps find fewer aligned holes without a pin in them, and fail.
     */
    private void fragmenting() throws IOException
    {
        final LiveIds large = new LiveIds();
        for (long op = 0; op < ops; op++)
        {
            if (random.nextInt(10) < 3)
            {
                final long limitPfn = random.nextLong(START_PFN + 1, LIMIT_32_BIT_PFN + 1);
                alloc(1 + random.nextInt(2), limitPfn);
            }
            else if (large.isEmpty() || (large.size() < FRAGMENTING_LIVE_LARGE && random.nextBoolean()))
            {
                large.add(alloc(1L << (3 + random.nextInt(8)), LIMIT_32_BIT_PFN));
            }
            else
            {
                writer.free(large.removeAt(random.nextInt(large.size())));
            }
        }
    }

    /**
     * Four devices share one domain, each with its own DMA limit, sizes and live set:
     * a legacy 30-bit device (1..16 pages), a 32-bit NIC (1 page, FIFO), a 39-bit NVMe drive
     * (1..256 pages) and a 48-bit accelerator (16..4096 pages). PCI windows are reserved below
     * 1 GiB, below 4 GiB (the 32-bit MMIO hole up to the MSI window) and at the top of the 39-bit
     * space, so that every device allocates below a hole.
     */
    private void mixed() throws IOException
    {
        writer.reserve(0x38000L, LIMIT_30_BIT_PFN, "PCI bridge window below 1 GiB");
        writer.reserve(0xc0000L, 0xfebffL, "PCI 32-bit MMIO window, 3 GiB up to the IOAPIC at 0xfec00000");
        writer.reserve(LIMIT_39_BIT_PFN - 0x3ffff, LIMIT_39_BIT_PFN, "PCI 64-bit window, the top GiB below 512 GiB");

        final long[] limitPfns = {LIMIT_30_BIT_PFN, LIMIT_32_BIT_PFN, LIMIT_39_BIT_PFN, LIMIT_48_BIT_PFN};
        final int[] depthTargets = {64, 512, 1024, 128};
        final int[] weightsPercent = {15, 40, 30, 15};
        final LiveIds[] lives = {new LiveIds(), new LiveIds(), new LiveIds(), new LiveIds()};
        for (long op = 0; op < ops; op++)
        {
            int device = 0;
            for (int roll = random.nextInt(100); roll >= weightsPercent[device]; device++)
            {
                roll -= weightsPercent[device];
            }
            final LiveIds live = lives[device];
            if (live.isEmpty() || (live.size() < depthTargets[device] && random.nextInt(100) < 60))
            {
                live.add(alloc(mixedPages(device), limitPfns[device]));
            }
            else if (device == 1)
            {
                writer.free(live.removeNearOldest(random.nextInt(Math.min(NETWORK_REORDER_WINDOW, live.size()))));
            }
            else
            {
                writer.free(live.removeAt(random.nextInt(live.size())));
            }
        }
    }

    /**
     * One device in the window of pfns 1 to {@link #TIGHT_LIMIT_PFN} with a 128-page hole
     * reserved in it, the workload of the conformance trace {@code
     * tight-3000} made tighter: 1..64-page maps ({@link #TIGHT_PAGES}, each size as likely), a
     * third of them under {@link #TIGHT_LOW_LIMIT_PFN}, freed at random, about
     * {@link #TIGHT_LIVE} live (ids whose allocation failed count too, until their skipped free).
     * The window holds a fraction of that, so most requests find no room (62% with 50,000 ops
     * and seed 1, mostly the larger ones): what this shape measures is how fast an allocator
     * says no, and how it finds room that frees at random give back.
     */
    private void tight() throws IOException
    {
        writer.reserve(TIGHT_HOLE_LO_PFN, TIGHT_HOLE_HI_PFN, "a hole in the window");
        final LiveIds live = new LiveIds();
        for (long op = 0; op < ops; op++)
        {
            if (live.isEmpty() || (live.size() < TIGHT_LIVE && random.nextInt(100) < 60))
            {
                final long pages = TIGHT_PAGES[random.nextInt(TIGHT_PAGES.length)];
                live.add(alloc(pages, random.nextInt(3) == 0 ? TIGHT_LOW_LIMIT_PFN : TIGHT_LIMIT_PFN));
            }
            else
            {
                writer.free(live.removeAt(random.nextInt(live.size())));
            }
        }
    }

    private long mixedPages(final int device)
    {
        switch (device)
        {
            case 0:
                return 1L << random.nextInt(5);
            case 1:
                return 1;
            case 2:
                return random.nextBoolean() ? 1L << random.nextInt(9) : 1 + random.nextInt(256);
            default:
                return 1L << (4 + random.nextInt(9));
        }
    }

    /** Last pfn of the {@link TraceShape#PLACEMENT} domain: 256 MiB of 4 KiB pages. */
    public static final long PLACEMENT_END_PFN = 0xffffL;

    /** The {@link TraceShape#PLACEMENT} window that is never allowed: reserves there are never refused. */
    private static final long QUIET_LO_PFN = 0xf000L;

    private static final String[] DEVICES = {"dev0", "dev1", "dev2", "dev3"};

    /**
     * iova-trace v2 in a domain of {@link #PLACEMENT_END_PFN} pfns. Allowed: {@code [0x10, 0x7fff]}
     * and {@code [0x9000, 0xefff]} from the start; the gap between them is allowed half-way
     * through. A software-MSI window is reserved for owner {@code msi} for the whole trace.
     * Four devices attach and detach (one op in 25): an attach reserves a page of the never-allowed window
     * {@code [0xf000, 0xffff]} for the device (never refused, so the device's later
     * {@code unreserve} is always valid) and, one time in two, a range of the busy space, which
     * is refused when it overlaps a live range (counted in {@code reserveFailed}).
     * Of the operations, about half allocate with a fit (highest, lowest, best, equally often),
     * an alignment (natural, 1, or a power of two up to 512) and a limit (the top of the
     * domain, below the gap, or anywhere); one in ten maps at a fixed pfn (some land on live,
     * reserved or disallowed pfns and fail); the rest free a live id at random.
     */
    private void placement(final long seed) throws IOException
    {
        writer.headerV2();
        writer.comment("allocator-bench gen " + TraceShape.PLACEMENT.shapeName() + " --ops " + ops + " --seed " + seed);
        writer.comment(TraceShape.PLACEMENT.description());
        writer.domain(GRANULE_BYTES, START_PFN, PLACEMENT_END_PFN);
        writer.allow(0x10, 0x7fff, "below the gap");
        writer.allow(0x9000, QUIET_LO_PFN - 1, "above the gap");
        writer.reserve(0xa000, 0xa0ff, "msi", "software MSI window");

        final LiveIds live = new LiveIds();
        final boolean[] attached = new boolean[DEVICES.length];
        final long[] limitPfns = {PLACEMENT_END_PFN, 0x7fff, 0};
        for (long op = 0; op < ops; op++)
        {
            if (op == ops / 2)
            {
                writer.allow(0x8000, 0x8fff, "the gap, allowed from now on");
            }
            if (random.nextInt(25) == 0)
            {
                final int device = random.nextInt(DEVICES.length);
                if (attached[device])
                {
                    writer.unreserve(DEVICES[device]);
                }
                else
                {
                    final long quietPfn = QUIET_LO_PFN + random.nextInt(0x1000);
                    writer.reserve(quietPfn, Math.min(PLACEMENT_END_PFN, quietPfn + random.nextInt(16)), DEVICES[device], null);
                    if (random.nextBoolean())
                    {
                        // Anywhere, or where highest fit puts most ranges: just below the top of the allowed space.
                        final long loPfn = random.nextBoolean() ? 0x10 + random.nextInt(0xe000) : QUIET_LO_PFN - 0x1000 + random.nextInt(0xf00);
                        writer.reserve(loPfn, loPfn + random.nextInt(256), DEVICES[device], null);
                    }
                }
                attached[device] = !attached[device];
            }
            final int roll = random.nextInt(100);
            if (live.isEmpty() || roll < 45)
            {
                final long pages = random.nextInt(20) == 0 ? 256 + random.nextInt(300) : 1 + random.nextInt(random.nextBoolean() ? 8 : 64);
                final int alignChoice = random.nextInt(4);
                final long alignPages = alignChoice == 0 ? Trace.NATURAL_ALIGN : alignChoice == 1 ? 1 : 1L << random.nextInt(10);
                final long limitChoice = limitPfns[random.nextInt(limitPfns.length)];
                final long limitPfn = limitChoice != 0 ? limitChoice : 0x10 + random.nextInt((int)PLACEMENT_END_PFN - 0x10);
                final long id = nextId++;
                writer.alloc(id, pages, limitPfn, alignPages, (byte)random.nextInt(3));
                live.add(id);
            }
            else if (roll < 55)
            {
                final long id = nextId++;
                writer.allocAt(id, 0x8 + random.nextInt((int)PLACEMENT_END_PFN), 1 + random.nextInt(16));
                live.add(id);
            }
            else
            {
                writer.free(live.removeAt(random.nextInt(live.size())));
            }
        }
    }

    private long alloc(final long pages, final long limitPfn) throws IOException
    {
        final long id = nextId++;
        writer.alloc(id, pages, limitPfn);
        return id;
    }
}
