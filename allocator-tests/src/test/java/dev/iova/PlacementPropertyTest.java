package dev.iova;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.function.Function;

import dev.iova.snapshot.DomainSnapshot;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Drives {@link IovaDomain}'s placement API and a {@link PlacementModel} (iova-trace v2 written
 * out by brute force) with the same random operations — aligned allocations under each fit,
 * default-fit allocations, fixed allocations, owned and unowned reserves, unreserves, allows,
 * frees, misuse — and requires the same answer for each: pfn or {@code NO_ADDRESS}, outcome,
 * refusal, count removed, exception class. After every step both must hold the same live
 * ranges, allowed ranges, reservations and blocked pfns, and {@link IovaDomain#verify()} passes.
 *
 * <p>A {@code SNAPSHOT} step writes the domain with {@link DomainSnapshot}, restores it into a
 * second domain, and from then on both domains run every operation beside the model: the
 * restored domain must place exactly as the original does.
 *
 * <p>Operations are raw numbers turned into calls against the model's state when they run, so
 * that shrinking keeps them meaningful ("free the second live range").
 */
class PlacementPropertyTest
{
    /** A domain under test: its pfn bounds and its default fit. */
    record Geometry(long startPfn, long lastPfn, Fit defaultFit)
    {
        IovaDomain build()
        {
            return IovaDomain.builder().granuleBytes(4096).startPfn(startPfn).lastPfn(lastPfn).fit(defaultFit)
                .chunkRanges(64).build();
        }

        long spacePages()
        {
            return lastPfn - startPfn + 1;
        }
    }

    enum Kind
    {
        ALLOC, ALLOC_DEFAULT_FIT, ALLOC_AT, ALLOC_AT_NEAR_RANGE, RESERVE, UNRESERVE, ALLOW, FREE, MISUSE, SNAPSHOT
    }

    /** One operation in raw form; {@link Driver#step} reads the numbers against the current state. */
    record Op(Kind kind, long pages, int alignLog2, Fit fit, long pickA, long pickB, int owner)
    {
    }

    private static final String[] OWNERS = {null, "dev0", "dev1", "group7"};

    @Property(tries = 600)
    void domainPlacesAsTheModel(@ForAll("geometries") final Geometry geometry, @ForAll("operations") final List<Op> ops)
    {
        final Driver driver = new Driver(geometry);
        try
        {
            for (final Op op : ops)
            {
                driver.step(op);
            }
        }
        finally
        {
            driver.close();
        }
        Statistics.label("outcomes").coverage(checker -> {
            checker.check("alloc placed").count(n -> n > 3000);
            checker.check("alloc failed").count(n -> n > 300);
            checker.check("allocAt PLACED").count(n -> n > 300);
            checker.check("allocAt OUTSIDE_DOMAIN").count(n -> n > 30);
            checker.check("allocAt OUTSIDE_ALLOWED").count(n -> n > 30);
            checker.check("allocAt RESERVED").count(n -> n > 30);
            checker.check("allocAt LIVE").count(n -> n > 100);
            checker.check("reserve true").count(n -> n > 300);
            checker.check("reserve false").count(n -> n > 30);
            checker.check("unreserve removed some").count(n -> n > 100);
            checker.check("allow refused").count(n -> n > 30);
            checker.check("snapshot").count(n -> n > 100);
        });
    }

    @Provide
    Arbitrary<Geometry> geometries()
    {
        return Combinators.combine(
            Arbitraries.of(
                new long[] {1, 1},                     // one page
                new long[] {5, 12},                    // tiny, unaligned start
                new long[] {1, 0x3f},
                new long[] {1, 0xff},
                new long[] {7, 7 + 300},
                new long[] {0x100, 0x4ff},
                new long[] {0x1003, 0x1fff}),
            Arbitraries.of(Fit.class))
            .as((bounds, fit) -> new Geometry(bounds[0], bounds[1], fit));
    }

    @Provide
    Arbitrary<List<Op>> operations()
    {
        final Arbitrary<Kind> kinds = Arbitraries.frequency(
            Tuple.of(30, Kind.ALLOC),
            Tuple.of(6, Kind.ALLOC_DEFAULT_FIT),
            Tuple.of(6, Kind.ALLOC_AT),
            Tuple.of(5, Kind.ALLOC_AT_NEAR_RANGE),
            Tuple.of(7, Kind.RESERVE),
            Tuple.of(3, Kind.UNRESERVE),
            Tuple.of(3, Kind.ALLOW),
            Tuple.of(20, Kind.FREE),
            Tuple.of(2, Kind.MISUSE),
            Tuple.of(1, Kind.SNAPSHOT));
        final Arbitrary<Long> pages = Arbitraries.frequencyOf(
            Tuple.of(12, Arbitraries.longs().between(1, 8)),
            Tuple.of(5, Arbitraries.longs().between(9, 70)),
            Tuple.of(1, Arbitraries.longs().between(71, 600)));
        final Arbitrary<Integer> alignLog2 = Arbitraries.frequencyOf(
            Tuple.of(6, Arbitraries.integers().between(0, 4)),
            Tuple.of(2, Arbitraries.integers().between(5, 10)),
            Tuple.of(1, Arbitraries.integers().between(11, 62)));
        final Arbitrary<Long> picks = Arbitraries.longs().between(0, Long.MAX_VALUE / 4);
        final Arbitrary<Integer> owners = Arbitraries.integers().between(0, OWNERS.length - 1);
        return Combinators.combine(kinds, pages, alignLog2, Arbitraries.of(Fit.class), picks, picks, owners).as(Op::new)
            .list().ofMinSize(1).ofMaxSize(120).withSizeDistribution(RandomDistribution.uniform());
    }

    // ---------------------------------------------------------------------------------------
    // The lockstep driver
    // ---------------------------------------------------------------------------------------

    /** Runs each operation against every domain (the original and its restored snapshots) and the model. */
    static final class Driver
    {
        private final Geometry geometry;
        private final List<IovaDomain> domains = new ArrayList<>();
        private final PlacementModel model;
        private final List<String> history = new ArrayList<>();

        Driver(final Geometry geometry)
        {
            this.geometry = geometry;
            this.domains.add(geometry.build());
            this.model = new PlacementModel(geometry.startPfn(), geometry.lastPfn());
        }

        void close()
        {
            domains.forEach(IovaDomain::close);
        }

        void step(final Op op)
        {
            switch (op.kind())
            {
                case ALLOC -> alloc(op);
                case ALLOC_DEFAULT_FIT -> allocDefaultFit(op);
                case ALLOC_AT -> allocAt(pfnAround(op.pickA()), op.pages());
                case ALLOC_AT_NEAR_RANGE -> allocAtNearRange(op);
                case RESERVE -> reserve(op);
                case UNRESERVE -> unreserve(op);
                case ALLOW -> allow(op);
                case FREE -> free(op);
                case MISUSE -> misuse(op);
                case SNAPSHOT -> snapshot();
                default -> throw new AssertionError(op);
            }
            checkSameState();
        }

        private void alloc(final Op op)
        {
            final long limitPfn = limitOf(op.pickA());
            final long alignPages = 1L << op.alignLog2();
            final String label = "alloc(" + op.pages() + ", 0x" + Long.toHexString(limitPfn) + ", " + alignPages + ", " + op.fit() + ")";
            final Object result = call(label, d -> d.alloc(op.pages(), limitPfn, alignPages, op.fit()),
                m -> m.alloc(op.pages(), limitPfn, alignPages, op.fit()));
            Statistics.label("outcomes").collect(Long.valueOf(IovaDomain.NO_ADDRESS).equals(result) ? "alloc failed" : "alloc placed");
        }

        private void allocDefaultFit(final Op op)
        {
            final long limitPfn = limitOf(op.pickA());
            final boolean sizeAligned = (op.pickB() & 1) == 0;
            final Object result = call("alloc(" + op.pages() + ", 0x" + Long.toHexString(limitPfn) + ", " + sizeAligned + ")",
                d -> d.alloc(op.pages(), limitPfn, sizeAligned),
                m -> m.alloc(op.pages(), limitPfn, sizeAligned, geometry.defaultFit()));
            Statistics.label("outcomes").collect(Long.valueOf(IovaDomain.NO_ADDRESS).equals(result) ? "alloc failed" : "alloc placed");
        }

        private void allocAt(final long pfn, final long pages)
        {
            final Object outcome = call("allocAt(0x" + Long.toHexString(pfn) + ", " + pages + ")",
                d -> d.allocAt(pfn, pages), m -> m.allocAt(pfn, pages));
            Statistics.label("outcomes").collect("allocAt " + outcome);
        }

        /** A fixed allocation that starts inside, just before or just after a live or reserved range. */
        private void allocAtNearRange(final Op op)
        {
            final List<long[]> near = new ArrayList<>(model.liveRangeList());
            model.reservations().forEach(r -> near.add(new long[] {r.loPfn(), r.hiPfn()}));
            if (near.isEmpty())
            {
                allocAt(pfnAround(op.pickA()), op.pages());
                return;
            }
            final long[] range = near.get((int)(op.pickA() % near.size()));
            final long[] starts = {range[0], range[1], range[0] - op.pages(), range[1] + 1, range[0] - op.pages() + 1};
            allocAt(starts[(int)(op.pickB() % starts.length)], op.pages());
        }

        private void reserve(final Op op)
        {
            final long loPfn = pfnInside(op.pickA());
            final long hiPfn = Math.min(geometry.lastPfn(), loPfn + op.pickB() % Math.max(1, geometry.spacePages() / 8));
            final String owner = OWNERS[op.owner()];
            if (owner == null && (op.pickB() & 1) == 1)
            {
                // v1's unowned reserve: throws where the owned one returns false
                call("reserve(0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) + ")", d -> {
                    d.reserve(loPfn, hiPfn);
                    return "done";
                }, m -> {
                    m.reserve(loPfn, hiPfn);
                    return "done";
                });
                return;
            }
            final Object result = call("reserve(0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) + ", " + owner + ")",
                d -> d.reserve(loPfn, hiPfn, owner), m -> m.reserve(loPfn, hiPfn, owner));
            Statistics.label("outcomes").collect("reserve " + result);
        }

        private void unreserve(final Op op)
        {
            final String owner = OWNERS[1 + op.owner() % (OWNERS.length - 1)];
            final Object removed = call("unreserve(" + owner + ")", d -> d.unreserve(owner), m -> m.unreserve(owner));
            if (!Integer.valueOf(0).equals(removed))
            {
                Statistics.label("outcomes").collect("unreserve removed some");
            }
        }

        private void allow(final Op op)
        {
            final long loPfn = pfnInside(op.pickA());
            final long hiPfn = Math.min(geometry.lastPfn(), loPfn + op.pickB() % Math.max(1, geometry.spacePages() / 2));
            final Object result = call("allow(0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) + ")", d -> {
                d.allow(loPfn, hiPfn);
                return "done";
            }, m -> {
                m.allow(loPfn, hiPfn);
                return "done";
            });
            if (result instanceof Class)
            {
                Statistics.label("outcomes").collect("allow refused");
            }
        }

        private void free(final Op op)
        {
            final List<long[]> live = model.liveRangeList();
            if (live.isEmpty())
            {
                return;
            }
            final long[] range = live.get((int)(op.pickA() % live.size()));
            if ((op.pickB() & 1) == 0)
            {
                call("free(0x" + Long.toHexString(range[0]) + ", " + (range[1] - range[0] + 1) + ")", d -> {
                    d.free(range[0], range[1] - range[0] + 1);
                    return "done";
                }, m -> {
                    m.free(range[0], range[1] - range[0] + 1);
                    return "done";
                });
            }
            else
            {
                final long pfn = range[0] + op.pickB() % (range[1] - range[0] + 1);
                call("free(0x" + Long.toHexString(pfn) + ")", d -> {
                    d.free(pfn);
                    return "done";
                }, m -> {
                    m.free(pfn);
                    return "done";
                });
            }
        }

        /** Calls that must throw on both sides and change nothing. */
        private void misuse(final Op op)
        {
            final long pfn = pfnInside(op.pickA());
            switch ((int)(op.pickB() % 8))
            {
                case 0 -> call("alloc(.., align=3)", d -> d.alloc(1, geometry.lastPfn(), 3, op.fit()),
                    m -> m.alloc(1, geometry.lastPfn(), 3, op.fit()));
                case 1 -> call("alloc(.., align=0)", d -> d.alloc(1, geometry.lastPfn(), 0, op.fit()),
                    m -> m.alloc(1, geometry.lastPfn(), 0, op.fit()));
                case 2 -> call("allocAt(pfn, 0)", d -> d.allocAt(pfn, 0), m -> m.allocAt(pfn, 0));
                case 3 -> call("reserve(hi < lo)", d -> d.reserve(pfn + 1, pfn, OWNERS[op.owner()]),
                    m -> m.reserve(pfn + 1, pfn, OWNERS[op.owner()]));
                case 4 -> call("reserve(past lastPfn)", d -> d.reserve(pfn, geometry.lastPfn() + 1, "dev0"),
                    m -> m.reserve(pfn, geometry.lastPfn() + 1, "dev0"));
                case 6 -> call("alloc(.., fit=null)", d -> d.alloc(1, geometry.lastPfn(), 1, null),
                    m -> m.alloc(1, geometry.lastPfn(), 1, null));
                case 7 -> call("free(0x" + Long.toHexString(pfn) + ", 1) of a pfn no allocation starts at", d -> {
                    if (model.isFree(pfn))
                    {
                        d.free(pfn, 1);
                    }
                    return "not free";
                }, m -> {
                    if (m.isFree(pfn))
                    {
                        m.free(pfn, 1);
                    }
                    return "not free";
                });
                default -> call("allow(below startPfn)", d -> {
                    d.allow(geometry.startPfn() - 1, pfn);
                    return "done";
                }, m -> {
                    m.allow(geometry.startPfn() - 1, pfn);
                    return "done";
                });
            }
        }

        private void snapshot()
        {
            final IovaDomain original = domains.get(0);
            final byte[] bytes = DomainSnapshot.toBytes(original);
            history.add("snapshot (" + bytes.length + " bytes)");
            final IovaDomain restored = DomainSnapshot.restore(bytes);
            restored.verify();
            if (domains.size() > 1)
            {
                domains.remove(1).close();
            }
            domains.add(restored);
            Statistics.label("outcomes").collect("snapshot");
        }

        /**
         * Calls {@code onDomain} on every domain and {@code onModel} once, and requires the same
         * result or the same exception class from each; a call that throws must change nothing
         * (checked by {@link #checkSameState()} after the step).
         *
         * @return the model's result, or the class of the exception it threw.
         */
        private Object call(final String label, final Function<IovaDomain, Object> onDomain,
                            final Function<PlacementModel, Object> onModel)
        {
            history.add(label);
            final Object expected = outcome(() -> onModel.apply(model));
            for (final IovaDomain domain : domains)
            {
                final Object actual = outcome(() -> onDomain.apply(domain));
                assertEquals(expected, actual, () -> label + " on " + domainName(domain) + "; " + trail());
            }
            return expected;
        }

        private static Object outcome(final java.util.function.Supplier<Object> call)
        {
            try
            {
                return call.get();
            }
            catch (final IllegalArgumentException | IllegalStateException ex)
            {
                return ex.getClass();
            }
        }

        private void checkSameState()
        {
            final List<String> liveExpected = new ArrayList<>();
            model.liveRangeList().forEach(r -> liveExpected.add(hex(r)));
            final List<String> allowedExpected = new ArrayList<>();
            model.allowedRanges().forEach(r -> allowedExpected.add(hex(r)));
            final List<PlacementModel.Reservation> reservationsExpected = model.reservations();
            final BitSet blockedExpected = model.blockedPfns();
            for (final IovaDomain domain : domains)
            {
                domain.verify();
                final String name = domainName(domain);
                assertEquals(model.liveRanges(), domain.liveRanges(), () -> "liveRanges() of " + name + "; " + trail());

                final List<String> live = new ArrayList<>();
                final BitSet blocked = new BitSet();
                domain.forEachRange((loPfn, hiPfn, reserved) -> {
                    if (reserved)
                    {
                        // The tree may hold the complement of the allowed ranges beyond the domain's bounds.
                        final long lo = Math.max(loPfn, geometry.startPfn());
                        final long hi = Math.min(hiPfn, geometry.lastPfn());
                        if (lo <= hi)
                        {
                            blocked.set((int)lo, (int)hi + 1);
                        }
                    }
                    else
                    {
                        live.add(hex(new long[] {loPfn, hiPfn}));
                    }
                });
                assertEquals(liveExpected, live, () -> "allocations of " + name + "; " + trail());
                assertEquals(blockedExpected, blocked, () -> "reserved pfns (reserves and outside the allowed ranges) of " +
                    name + "; " + trail());

                final List<String> allowed = new ArrayList<>();
                domain.forEachAllowed((loPfn, hiPfn, reserved) -> allowed.add(hex(new long[] {loPfn, hiPfn})));
                assertEquals(allowedExpected, allowed, () -> "forEachAllowed of " + name + "; " + trail());

                final List<PlacementModel.Reservation> reservations = new ArrayList<>();
                domain.forEachReservation((loPfn, hiPfn, owner) -> reservations.add(new PlacementModel.Reservation(loPfn, hiPfn, owner)));
                for (int i = 1; i < reservations.size(); i++)
                {
                    final int at = i;
                    assertTrue(reservations.get(i - 1).loPfn() <= reservations.get(i).loPfn(),
                        () -> "forEachReservation is not ascending by loPfn at " + at + ": " + reservations + "; " + trail());
                }
                reservations.sort(PlacementModel.RESERVATION_ORDER);
                assertEquals(reservationsExpected, reservations, () -> "forEachReservation of " + name + "; " + trail());
            }
        }

        private String domainName(final IovaDomain domain)
        {
            return domains.indexOf(domain) == 0 ? "the domain" : "the domain restored from a snapshot";
        }

        /** A limit anywhere from just below startPfn's neighbourhood to beyond lastPfn. */
        private long limitOf(final long pick)
        {
            final long choice = pick % 8;
            if (choice < 3)
            {
                return geometry.lastPfn() + choice * 100;
            }
            return geometry.startPfn() + (pick / 8) % geometry.spacePages();
        }

        private long pfnInside(final long pick)
        {
            return geometry.startPfn() + pick % geometry.spacePages();
        }

        /** A pfn in the domain or up to 8 pfns beyond either end (pfn 0 at the lowest). */
        private long pfnAround(final long pick)
        {
            return Math.max(0, geometry.startPfn() - 8 + pick % (geometry.spacePages() + 16));
        }

        private static String hex(final long[] range)
        {
            return "[0x" + Long.toHexString(range[0]) + ", 0x" + Long.toHexString(range[1]) + "]";
        }

        private String trail()
        {
            final int from = Math.max(0, history.size() - 30);
            return geometry + ", last calls " + history.subList(from, history.size());
        }
    }
}
