package dev.iova;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Drives a real {@link IovaDomain} and a {@link ReferenceModel} with the same random operations
 * and requires the same answers: the same pfns, the same {@link IovaDomain#NO_ADDRESS}, the same
 * exceptions, the same ranges, the same free-space figures, and a passing
 * {@link IovaDomain#verify()} after every step.
 *
 * <p>An operation is generated as raw numbers and turned into a concrete call only when it runs,
 * against the state the model is in then ("free the third live range by its second pfn"), so
 * that shrinking keeps sequences meaningful.
 */
class DomainPropertyTest
{
    /** The shape of a domain under test. */
    record Geometry(long startPfn, long lastPfn, int maxRanges, int chunkRanges)
    {
        long spacePages()
        {
            return lastPfn - startPfn + 1;
        }

        IovaDomain build()
        {
            return IovaDomain.builder().granuleBytes(4096).startPfn(startPfn).lastPfn(lastPfn)
                .maxRanges(maxRanges).chunkRanges(chunkRanges).build();
        }

        @Override
        public String toString()
        {
            return "Geometry[startPfn=0x" + Long.toHexString(startPfn) + ", lastPfn=0x" + Long.toHexString(lastPfn) +
                ", maxRanges=" + maxRanges + ", chunkRanges=" + chunkRanges + "]";
        }
    }

    enum Kind
    {
        ALLOC, ALLOC_BAD, FREE_ANY_PFN, FREE_EXACT, FREE_BAD, DOUBLE_FREE, RESERVE, RESERVE_ALL, FIND
    }

    /**
     * One operation in raw form: {@code pages} for allocations, {@code limitChoice} and
     * {@code pick*} numbers interpreted against the current state by {@link Driver#step}.
     */
    record Op(Kind kind, long pages, int limitChoice, long pickA, long pickB, boolean flag)
    {
    }

    private static final int MAX_RANGES_UNBOUNDED = 1 << 20;

    // ---------------------------------------------------------------------------------------
    // Properties
    // ---------------------------------------------------------------------------------------

    @Property(tries = 1000)
    void domainAgreesWithReferenceModel(@ForAll("geometries") final Geometry geometry,
                                        @ForAll("operations") final List<Op> ops)
    {
        try (IovaDomain domain = geometry.build())
        {
            final Driver driver = new Driver(geometry, domain);
            for (final Op op : ops)
            {
                driver.step(op);
            }
            driver.freeEverythingAndCheckEmpty();
        }
        Statistics.label("outcomes").coverage(checker -> {
            checker.check("alloc returned").count(n -> n > 1000);
            checker.check("alloc NO_ADDRESS").count(n -> n > 300);
            checker.check("alloc threw IllegalArgumentException").count(n -> n > 50);
            checker.check("free returned").count(n -> n > 1000);
            checker.check("free threw IllegalArgumentException").count(n -> n > 300);
            checker.check("reserve returned").count(n -> n > 300);
            checker.check("reserve threw IllegalArgumentException").count(n -> n > 100);
            checker.check("reserveAll returned").count(n -> n > 30);
            checker.check("reserveAll threw IllegalArgumentException").count(n -> n > 30);
        });
    }

    @Property(tries = 500)
    void domainAgreesWithReferenceModelAtCapacity(@ForAll @IntRange(min = 1, max = 12) final int maxRanges,
                                                  @ForAll("capacityOperations") final List<Op> ops)
    {
        final Geometry geometry = new Geometry(1, 0xff, maxRanges, 64);
        try (IovaDomain domain = geometry.build())
        {
            final Driver driver = new Driver(geometry, domain);
            for (final Op op : ops)
            {
                driver.step(op);
            }
            driver.freeEverythingAndCheckEmpty();
        }
        Statistics.label("outcomes").coverage(checker -> {
            checker.check("alloc returned").count(n -> n > 1000);
            checker.check("alloc NO_ADDRESS").count(n -> n > 300);
            checker.check("reserve returned").count(n -> n > 100);
            checker.check("reserve threw IllegalArgumentException").count(n -> n > 30);
        });
        Statistics.label("capacity").coverage(checker -> checker.check("reserve refused for capacity").count(n -> n > 10));
    }

    @Property(tries = 300)
    void liveRangesNeverOverlap(@ForAll("geometries") final Geometry geometry,
                                @ForAll("operations") final List<Op> ops)
    {
        // Model-free: whatever the answers, the ranges listed never overlap or leave the domain,
        // and every allocation is found, in full, by any of its pfns.
        try (IovaDomain domain = geometry.build())
        {
            final Driver driver = new Driver(geometry, domain);
            for (final Op op : ops)
            {
                driver.step(op);
                final List<IovaRange> listing = ReferenceModel.listingOf(domain);
                long previousHiPfn = geometry.startPfn() - 1;
                for (final IovaRange range : listing)
                {
                    assertTrue(range.loPfn() > previousHiPfn,
                        () -> "ranges overlap or are out of order at " + range + " after " + op + ": " + listing);
                    assertTrue(range.loPfn() <= range.hiPfn() && range.hiPfn() <= geometry.lastPfn(),
                        () -> range + " is empty or leaves " + geometry);
                    assertEquals(range, domain.find(range.loPfn()), "find(first pfn)");
                    assertEquals(range, domain.find(range.hiPfn()), "find(last pfn)");
                    previousHiPfn = range.hiPfn();
                }
                assertEquals(listing.stream().filter(r -> !r.reserved()).count(), domain.liveRanges(),
                    () -> "liveRanges() disagrees with the listing " + listing);
            }
        }
    }

    @Property(tries = 300)
    void sizeAlignedRangesAreAligned(@ForAll @Size(min = 1, max = 200) final List<@IntRange(min = 1, max = 600) Integer> pagesList,
                                     @ForAll @IntRange(min = 1, max = 0x3ff) final int startPfn,
                                     @ForAll final List<@IntRange(min = 0, max = 0xfffff) Integer> limitOffsets)
    {
        final long lastPfn = 0xfffff;
        try (IovaDomain domain = IovaDomain.builder().startPfn(startPfn).lastPfn(lastPfn).chunkRanges(64).build())
        {
            for (int i = 0; i < pagesList.size(); i++)
            {
                final long pages = pagesList.get(i);
                final long limitPfn = limitOffsets.isEmpty() ? lastPfn : startPfn + limitOffsets.get(i % limitOffsets.size());
                final long pfn = domain.alloc(pages, limitPfn, true);
                if (pfn == IovaDomain.NO_ADDRESS)
                {
                    continue;
                }
                final long alignPages = ReferenceModel.roundUpToPowerOfTwo(pages);
                assertEquals(0, pfn % alignPages,
                    () -> "alloc(" + pages + ", 0x" + Long.toHexString(limitPfn) + ", true) = 0x" + Long.toHexString(pfn) +
                        " is not a multiple of " + alignPages);
                assertTrue(pfn >= startPfn && pfn + pages - 1 <= Math.min(limitPfn, lastPfn),
                    () -> "alloc(" + pages + ", 0x" + Long.toHexString(limitPfn) + ", true) = 0x" + Long.toHexString(pfn) +
                        " is outside [startPfn, limitPfn]");
                assertEquals(new IovaRange(pfn, pfn + pages - 1, false), domain.find(pfn), "find(pfn) after alloc");
            }
            domain.verify();
        }
    }

    // ---------------------------------------------------------------------------------------
    // Generators
    // ---------------------------------------------------------------------------------------

    @Provide
    Arbitrary<Geometry> geometries()
    {
        return Arbitraries.of(
            new Geometry(1, 1, MAX_RANGES_UNBOUNDED, 64),              // one page
            new Geometry(5, 12, MAX_RANGES_UNBOUNDED, 64),             // tiny, unaligned start
            new Geometry(1, 0x3f, MAX_RANGES_UNBOUNDED, 64),           // exhausted all the time
            new Geometry(1, 0xff, MAX_RANGES_UNBOUNDED, 64),
            new Geometry(1, 0xfff, MAX_RANGES_UNBOUNDED, 64),
            new Geometry(7, 7 + 300, MAX_RANGES_UNBOUNDED, 64),
            new Geometry(0x100, 0x4ff, MAX_RANGES_UNBOUNDED, 128),
            new Geometry(0x1003, 0x1fff, MAX_RANGES_UNBOUNDED, 64),
            new Geometry(0xfff00, 0xfffff, MAX_RANGES_UNBOUNDED, 1024),
            new Geometry(IovaDomain.MAX_PFN - 0x7ff, IovaDomain.MAX_PFN, MAX_RANGES_UNBOUNDED, 64));  // the top of the pfn space
    }

    @Provide
    Arbitrary<List<Op>> operations()
    {
        return sequences(Arbitraries.frequency(
            Tuple.of(30, Kind.ALLOC),
            Tuple.of(2, Kind.ALLOC_BAD),
            Tuple.of(10, Kind.FREE_ANY_PFN),
            Tuple.of(10, Kind.FREE_EXACT),
            Tuple.of(5, Kind.FREE_BAD),
            Tuple.of(2, Kind.DOUBLE_FREE),
            Tuple.of(7, Kind.RESERVE),
            Tuple.of(2, Kind.RESERVE_ALL),
            Tuple.of(3, Kind.FIND)));
    }

    @Provide
    Arbitrary<List<Op>> capacityOperations()
    {
        // reserveAll is left out: the contract does not say what it does when capacity runs out
        // half-way (the single reserve is checked against capacity below).
        return sequences(Arbitraries.frequency(
            Tuple.of(40, Kind.ALLOC),
            Tuple.of(10, Kind.FREE_ANY_PFN),
            Tuple.of(10, Kind.FREE_EXACT),
            Tuple.of(3, Kind.FREE_BAD),
            Tuple.of(10, Kind.RESERVE),
            Tuple.of(2, Kind.FIND)));
    }

    /** Sequences of 1 to 150 operations, lengths spread evenly so that long histories are common. */
    private static Arbitrary<List<Op>> sequences(final Arbitrary<Kind> kinds)
    {
        final Arbitrary<Long> pages = Arbitraries.frequencyOf(
            Tuple.of(12, Arbitraries.longs().between(1, 8)),
            Tuple.of(5, Arbitraries.longs().between(9, 70)),
            Tuple.of(2, Arbitraries.longs().between(71, 1100)),
            Tuple.of(1, Arbitraries.longs().between(1101, 5000)));
        final Arbitrary<Integer> limitChoices = Arbitraries.integers().between(0, 15);
        final Arbitrary<Long> picks = Arbitraries.longs().between(0, Long.MAX_VALUE / 4);
        return Combinators.combine(kinds, pages, limitChoices, picks, picks, Arbitraries.of(true, false)).as(Op::new)
            .list().ofMinSize(1).ofMaxSize(150).withSizeDistribution(RandomDistribution.uniform());
    }

    // ---------------------------------------------------------------------------------------
    // The lockstep driver
    // ---------------------------------------------------------------------------------------

    /** Runs each operation against the domain and the model and compares everything. */
    static final class Driver
    {
        private final Geometry geometry;
        private final IovaDomain domain;
        private final ReferenceModel model;
        private final List<String> history = new ArrayList<>();

        Driver(final Geometry geometry, final IovaDomain domain)
        {
            this.geometry = geometry;
            this.domain = domain;
            this.model = new ReferenceModel(geometry.startPfn(), geometry.lastPfn(), geometry.maxRanges());
        }

        void step(final Op op)
        {
            switch (op.kind())
            {
                case ALLOC -> alloc(op.pages(), limitOf(op.limitChoice(), op.pickA()), op.flag());
                case ALLOC_BAD -> allocBad(op);
                case FREE_ANY_PFN -> freeAnyPfn(op);
                case FREE_EXACT -> freeExact(op);
                case FREE_BAD -> freeBad(op);
                case DOUBLE_FREE -> doubleFree(op);
                case RESERVE -> reserve(op);
                case RESERVE_ALL -> reserveAll(op);
                case FIND -> find(pfnOf(op.pickA()));
                default -> throw new AssertionError(op);
            }
            checkSameState(op);
        }

        void freeEverythingAndCheckEmpty()
        {
            for (final IovaRange range : model.allocations())
            {
                call("free(0x" + Long.toHexString(range.hiPfn()) + ")", () -> {
                    domain.free(range.hiPfn());
                    return 0;
                }, () -> {
                    model.free(range.hiPfn());
                    return 0;
                });
            }
            domain.verify();
            assertEquals(0, domain.liveRanges(), () -> "liveRanges() after freeing everything; " + trail());
            assertEquals(model.listing(), ReferenceModel.listingOf(domain), () -> "only reserved ranges remain; " + trail());
            assertEquals(model.freePages(Long.MAX_VALUE), domain.freePages(Long.MAX_VALUE), () -> "freePages; " + trail());
        }

        private void alloc(final long pages, final long limitPfn, final boolean sizeAligned)
        {
            call("alloc(" + pages + ", 0x" + Long.toHexString(limitPfn) + ", " + sizeAligned + ")",
                () -> domain.alloc(pages, limitPfn, sizeAligned), () -> model.alloc(pages, limitPfn, sizeAligned));
        }

        private void allocBad(final Op op)
        {
            if (op.flag())
            {
                final long[] badPages = {0, -1, -op.pages(), Long.MIN_VALUE};
                alloc(badPages[(int)(op.pickB() % badPages.length)], limitOf(op.limitChoice(), op.pickA()), op.flag());
            }
            else
            {
                final long below = geometry.startPfn() - 1 - op.pickA() % geometry.startPfn();   // in [-1, startPfn - 1]
                alloc(op.pages(), op.pickB() % 4 == 0 ? Long.MIN_VALUE : below, op.pickB() % 2 == 0);
            }
        }

        private void freeAnyPfn(final Op op)
        {
            final List<IovaRange> live = model.allocations();
            if (live.isEmpty())
            {
                freeOne(pfnOf(op.pickA()));
                return;
            }
            final IovaRange range = live.get((int)(op.pickA() % live.size()));
            freeOne(range.loPfn() + op.pickB() % range.pages());
        }

        private void freeExact(final Op op)
        {
            final List<IovaRange> live = model.allocations();
            if (live.isEmpty())
            {
                freeExact(pfnOf(op.pickA()), op.pages());
                return;
            }
            final IovaRange range = live.get((int)(op.pickA() % live.size()));
            freeExact(range.loPfn(), range.pages());
        }

        private void freeBad(final Op op)
        {
            final List<IovaRange> live = model.allocations();
            final List<IovaRange> reserved = model.reservations();
            final IovaRange someLive = live.isEmpty() ? null : live.get((int)(op.pickA() % live.size()));
            final IovaRange someReserved = reserved.isEmpty() ? null : reserved.get((int)(op.pickA() % reserved.size()));
            switch ((int)(op.pickB() % 10))
            {
                case 0 -> freeOne(pfnOf(op.pickA()));                       // any pfn: usually free
                case 1 -> freeExact(pfnOf(op.pickA()), op.pages());
                case 2 -> freeOne(outsidePfnOf(op.pickA()));
                case 3 -> freeExact(outsidePfnOf(op.pickA()), 1);
                case 4 -> freeExact(someLive == null ? geometry.startPfn() : someLive.loPfn(), -(op.pickA() % 3));   // pages < 1
                case 5 -> {                                                  // not the first pfn
                    if (someLive != null && someLive.pages() > 1)
                    {
                        freeExact(someLive.loPfn() + 1 + op.pickA() % (someLive.pages() - 1), someLive.pages() - 1);
                    }
                    else
                    {
                        freeExact(pfnOf(op.pickA()), 1);
                    }
                }
                case 6 -> {                                                  // wrong length
                    if (someLive != null)
                    {
                        final long wrongPages = op.flag() || someLive.pages() == 1 ? someLive.pages() + 1 : someLive.pages() - 1;
                        freeExact(someLive.loPfn(), wrongPages);
                    }
                    else
                    {
                        freeExact(pfnOf(op.pickA()), op.pages());
                    }
                }
                case 7 -> freeOne(someReserved == null ? pfnOf(op.pickA()) :
                    someReserved.loPfn() + op.pickA() % someReserved.pages());
                case 8 -> {
                    if (someReserved != null)
                    {
                        freeExact(someReserved.loPfn(), someReserved.pages());
                    }
                    else
                    {
                        freeOne(pfnOf(op.pickA()));
                    }
                }
                default -> freeExact(someLive == null ? pfnOf(op.pickA()) : someLive.loPfn(), Long.MAX_VALUE);
            }
        }

        private void doubleFree(final Op op)
        {
            final List<IovaRange> live = model.allocations();
            if (live.isEmpty())
            {
                freeOne(pfnOf(op.pickA()));
                return;
            }
            final IovaRange range = live.get((int)(op.pickA() % live.size()));
            freeExact(range.loPfn(), range.pages());
            checkSameState(op);
            if (op.flag())
            {
                freeOne(range.loPfn() + op.pickB() % range.pages());
            }
            else
            {
                freeExact(range.loPfn(), range.pages());
            }
        }

        private void reserve(final Op op)
        {
            final long[] loHi = reserveBoundsOf(op, op.pickA(), op.pickB());
            reserveOne(loHi[0], loHi[1]);
        }

        private void reserveAll(final Op op)
        {
            final int count = 1 + (int)(op.pages() % 3);
            final long[] loPfns = new long[count];
            final long[] hiPfns = new long[count];
            long pickA = op.pickA();
            long pickB = op.pickB();
            for (int i = 0; i < count; i++)
            {
                final long[] loHi = reserveBoundsOf(op, pickA, pickB);
                loPfns[i] = loHi[0];
                hiPfns[i] = loHi[1];
                pickA = (pickA * 31 + 17) & (Long.MAX_VALUE >>> 2);
                pickB = (pickB * 37 + 11) & (Long.MAX_VALUE >>> 2);
            }
            final StringBuilder description = new StringBuilder("reserveAll(");
            for (int i = 0; i < count; i++)
            {
                description.append("[0x").append(Long.toHexString(loPfns[i])).append(", 0x").append(Long.toHexString(hiPfns[i])).append("] ");
            }
            call(description.append(')').toString(), () -> {
                domain.reserveAll(loPfns.clone(), hiPfns.clone());
                return 0;
            }, () -> {
                model.reserveAll(loPfns, hiPfns);
                return 0;
            });
        }

        /**
         * Chooses a reserve: mostly a short random range, sometimes one touching a reserved range
         * (to merge), over a live allocation (to be refused), around a reserved range (nested),
         * or out of bounds.
         */
        private long[] reserveBoundsOf(final Op op, final long pickA, final long pickB)
        {
            final long lengthPages = 1 + pickB % 16;
            final List<IovaRange> live = model.allocations();
            final List<IovaRange> reserved = model.reservations();
            switch ((int)(op.limitChoice() % 8))
            {
                case 0, 1 -> {
                    if (!reserved.isEmpty())
                    {
                        final IovaRange r = reserved.get((int)(pickA % reserved.size()));
                        return pickB % 2 == 0 ? new long[] {r.hiPfn() + 1, r.hiPfn() + lengthPages} :
                            new long[] {r.loPfn() - lengthPages, r.loPfn() - 1};
                    }
                }
                case 2 -> {
                    if (!live.isEmpty())
                    {
                        final IovaRange r = live.get((int)(pickA % live.size()));
                        final long pfn = r.loPfn() + pickB % r.pages();
                        return new long[] {pfn - pickB % 3, pfn + pickA % 3};
                    }
                }
                case 3 -> {
                    if (!reserved.isEmpty())
                    {
                        final IovaRange r = reserved.get((int)(pickA % reserved.size()));
                        return pickB % 2 == 0 ? new long[] {r.loPfn(), r.hiPfn()} :
                            new long[] {r.loPfn() - pickB % 3, r.hiPfn() + pickA % 3};
                    }
                }
                case 4 -> {
                    if (pickB % 4 == 0)
                    {
                        final long[][] bad = {
                            {geometry.startPfn() - 1, geometry.startPfn()},
                            {geometry.lastPfn(), geometry.lastPfn() + 1},
                            {geometry.startPfn() + 1, geometry.startPfn()},
                            {0, Long.MAX_VALUE},
                            {Long.MIN_VALUE, -1}};
                        return bad[(int)(pickA % bad.length)];
                    }
                }
                default -> {
                }
            }
            final long loPfn = pfnOf(pickA);
            return new long[] {loPfn, Math.min(loPfn + lengthPages - 1, geometry.lastPfn())};
        }

        private void reserveOne(final long loPfn, final long hiPfn)
        {
            call("reserve(0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) + ")", () -> {
                domain.reserve(loPfn, hiPfn);
                return 0;
            }, () -> {
                model.reserve(loPfn, hiPfn);
                return 0;
            });
        }

        private void find(final long pfn)
        {
            final IovaRange expected = model.find(pfn);
            final IovaRange actual = domain.find(pfn);
            record("find(0x" + Long.toHexString(pfn) + ") = " + actual);
            assertEquals(expected, actual, () -> "find(0x" + Long.toHexString(pfn) + "); " + trail());
        }

        private void freeOne(final long pfn)
        {
            call("free(0x" + Long.toHexString(pfn) + ")", () -> {
                domain.free(pfn);
                return 0;
            }, () -> {
                model.free(pfn);
                return 0;
            });
        }

        private void freeExact(final long pfn, final long pages)
        {
            call("free(0x" + Long.toHexString(pfn) + ", " + pages + ")", () -> {
                domain.free(pfn, pages);
                return 0;
            }, () -> {
                model.free(pfn, pages);
                return 0;
            });
        }

        /** Calls both sides; requires the same value or the same exception type. */
        private void call(final String description, final LongSupplier onDomain, final LongSupplier onModel)
        {
            final String expected = outcome(onModel, true);
            final String actual = outcome(onDomain, false);
            record(description + " -> " + actual);
            Statistics.label("outcomes").collect(description.replaceFirst("\\(.*", "") + " " +
                (actual.startsWith("returned 0x0") && description.startsWith("alloc") ? "NO_ADDRESS" : actual.replaceFirst("(?s) 0x.*|: .*", "")));
            if (expected.equals("capacity"))
            {
                Statistics.label("capacity").collect("reserve refused for capacity");
                // The contract says only that such a reserve throws; either type will do, the
                // domain must be unchanged (checked next).
                assertTrue(actual.startsWith("threw IllegalArgumentException") || actual.startsWith("threw IllegalStateException"),
                    () -> description + " must be refused for capacity, got " + actual + "; " + trail());
                return;
            }
            assertEquals(expected, actual.replaceFirst("(?s): .*", ""), () -> description + "; " + trail());
        }

        private static String outcome(final LongSupplier call, final boolean isModel)
        {
            try
            {
                return "returned 0x" + Long.toHexString(call.getAsLong());
            }
            catch (final ReferenceModel.CapacityExceeded e)
            {
                return "capacity";
            }
            catch (final RuntimeException e)
            {
                if (!isModel)
                {
                    assertNotEquals(null, e.getMessage(), () -> "exceptions must say what was wrong: " + e);
                }
                return "threw " + e.getClass().getSimpleName() + (isModel ? "" : ": " + e.getMessage());
            }
        }

        private void checkSameState(final Op op)
        {
            try
            {
                domain.verify();
            }
            catch (final IllegalStateException e)
            {
                fail("verify() failed after " + op + ": " + e.getMessage() + "; " + trail(), e);
            }
            assertEquals(model.listing(), ReferenceModel.listingOf(domain), () -> "forEachRange listing; " + trail());
            assertEquals(model.liveRanges(), domain.liveRanges(), () -> "liveRanges(); " + trail());
            assertEquals(model.reservedRanges(), domain.reservedRanges(), () -> "reservedRanges(); " + trail());
            final long limitPfn = limitOf(op.limitChoice(), op.pickB());
            assertEquals(model.freePages(limitPfn), domain.freePages(limitPfn),
                () -> "freePages(0x" + Long.toHexString(limitPfn) + "); " + trail());
            assertEquals(model.largestFreeGapPages(limitPfn), domain.largestFreeGapPages(limitPfn),
                () -> "largestFreeGapPages(0x" + Long.toHexString(limitPfn) + "); " + trail());
            assertEquals(model.freePages(Long.MAX_VALUE), domain.freePages(Long.MAX_VALUE), () -> "freePages(MAX); " + trail());
            assertEquals(model.largestFreeGapPages(Long.MAX_VALUE), domain.largestFreeGapPages(Long.MAX_VALUE),
                () -> "largestFreeGapPages(MAX); " + trail());
        }

        /** A limit: mostly inside the domain, sometimes at or beyond its end or below its start. */
        private long limitOf(final int limitChoice, final long pick)
        {
            return switch (limitChoice)
            {
                case 0 -> Long.MAX_VALUE;
                case 1 -> geometry.lastPfn();
                case 2 -> geometry.lastPfn() + 1 + pick % 1000;
                case 3 -> geometry.startPfn() + pick % Math.min(16, geometry.spacePages());   // near the bottom
                default -> pfnOf(pick);
            };
        }

        /** A pfn inside the domain. */
        private long pfnOf(final long pick)
        {
            return geometry.startPfn() + pick % geometry.spacePages();
        }

        /** A pfn outside the domain. */
        private long outsidePfnOf(final long pick)
        {
            final long[] outside = {0, geometry.startPfn() - 1, geometry.lastPfn() + 1, geometry.lastPfn() + 1 + pick % 100,
                -1, Long.MIN_VALUE, Long.MAX_VALUE};
            return outside[(int)(pick % outside.length)];
        }

        private void record(final String line)
        {
            history.add(line);
        }

        private String trail()
        {
            final int from = Math.max(0, history.size() - 12);
            return "on " + geometry + ", last calls (of " + history.size() + "):\n  " + String.join("\n  ", history.subList(from, history.size())) +
                "\nmodel: " + Objects.toString(model);
        }
    }
}
