package dev.iova.snapshot;

import dev.iova.AllocAtOutcome;
import dev.iova.Fit;
import dev.iova.IovaDomain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Snapshots restore exactly (state, then placements) and refuse every truncation, every flipped
 * bit, and forged content whose checksum is right but whose state no domain can hold.
 */
class DomainSnapshotTest
{
    private static final long START_PFN = 0x10;
    private static final long LAST_PFN = 0xfffff;

    /** A domain with every kind of state: allowed ranges, owned and unowned overlapping reserves, live ranges. */
    private static IovaDomain busyDomain(final Fit fit)
    {
        final IovaDomain domain = IovaDomain.builder().startPfn(START_PFN).lastPfn(LAST_PFN).fit(fit).build();
        domain.allow(0x100, 0x7ffff);
        domain.allow(0x90000, 0xeffff);
        assertTrue(domain.reserve(0x2000, 0x2fff, "vfio-group-3"));
        assertTrue(domain.reserve(0x2800, 0x37ff, "iommufd-dev-1"));
        assertTrue(domain.reserve(0x4000, 0x4000, null));
        assertTrue(domain.reserve(0x4001, 0x40ff, "vfio-group-3"));
        final Random random = new Random(7);
        for (int i = 0; i < 400; i++)
        {
            final long pages = 1 + random.nextInt(40);
            domain.alloc(pages, 0x100 + random.nextInt(0xeff00), 1L << random.nextInt(10), Fit.values()[i % 3]);
        }
        assertEquals(AllocAtOutcome.PLACED, domain.allocAt(0x95000, 0x123));
        final List<long[]> live = liveOf(domain);
        for (int i = 0; i < live.size(); i += 3)
        {
            domain.free(live.get(i)[0], live.get(i)[1] - live.get(i)[0] + 1);
        }
        return domain;
    }

    @ParameterizedTest
    @EnumSource(Fit.class)
    void restoredDomainHoldsTheSameStateAndPlacesTheSame(final Fit fit)
    {
        try (IovaDomain original = busyDomain(fit);
             IovaDomain restored = DomainSnapshot.restore(DomainSnapshot.toBytes(original)))
        {
            assertEquals(original.granuleBytes(), restored.granuleBytes());
            assertEquals(original.startPfn(), restored.startPfn());
            assertEquals(original.lastPfn(), restored.lastPfn());
            assertEquals(describe(original), describe(restored));
            restored.verify();

            final Random random = new Random(11);
            for (int i = 0; i < 300; i++)
            {
                final long pages = 1 + random.nextInt(64);
                final long limitPfn = 0x100 + random.nextInt(0xeff00);
                if (i % 4 == 0)
                {
                    assertEquals(original.alloc(pages, limitPfn, true), restored.alloc(pages, limitPfn, true), "default fit " + fit);
                }
                else
                {
                    final long alignPages = 1L << random.nextInt(10);
                    final Fit callFit = Fit.values()[i % 3];
                    assertEquals(original.alloc(pages, limitPfn, alignPages, callFit), restored.alloc(pages, limitPfn, alignPages, callFit));
                }
            }
            assertEquals(original.unreserve("vfio-group-3"), restored.unreserve("vfio-group-3"));
            assertEquals(original.allocAt(0x2000, 0x900), restored.allocAt(0x2000, 0x900));
            assertEquals(describe(original), describe(restored));
        }
    }

    @Test
    void snapshotIsTheSameBytesWhenTakenTwiceAndAfterARestore()
    {
        try (IovaDomain original = busyDomain(Fit.BEST))
        {
            final byte[] first = DomainSnapshot.toBytes(original);
            assertArrayEquals(first, DomainSnapshot.toBytes(original));
            try (IovaDomain restored = DomainSnapshot.restore(first))
            {
                assertArrayEquals(first, DomainSnapshot.toBytes(restored));
            }
        }
    }

    @Test
    void rangesParkedInTheCachesAreFreeInTheSnapshot()
    {
        try (IovaDomain domain = IovaDomain.builder().startPfn(1).lastPfn(0xfffff).build())
        {
            final long kept = domain.allocFast(4, 0xfffff);
            final long parked = domain.allocFast(4, 0xfffff);
            domain.freeFast(parked, 4);
            try (IovaDomain restored = DomainSnapshot.restore(DomainSnapshot.toBytes(domain)))
            {
                assertEquals(1, restored.liveRanges());
                assertEquals(kept, liveOf(restored).get(0)[0]);
            }
        }
    }

    @Test
    void emptyDomainRoundTrips()
    {
        try (IovaDomain domain = IovaDomain.builder().granuleBytes(65536).startPfn(3).lastPfn(3).build();
             IovaDomain restored = DomainSnapshot.restore(DomainSnapshot.toBytes(domain)))
        {
            assertEquals(65536, restored.granuleBytes());
            assertEquals(3, restored.alloc(1, 3, 1, Fit.HIGHEST));
        }
    }

    @Test
    void everyTruncationIsRefusedWithTheReason() throws IOException
    {
        final byte[] snapshot = smallSnapshot();
        for (int length = 0; length < snapshot.length; length++)
        {
            final byte[] prefix = Arrays.copyOf(snapshot, length);
            final SnapshotFormatException ex = assertThrows(SnapshotFormatException.class, () -> DomainSnapshot.restore(prefix),
                "prefix of " + length + " bytes");
            assertTrue(ex.getMessage().startsWith("truncated: " + length + " bytes"), ex.getMessage());
            final SnapshotFormatException fromStream = assertThrows(SnapshotFormatException.class,
                () -> DomainSnapshot.restore(new ByteArrayInputStream(prefix)), "stream of " + length + " bytes");
            assertTrue(fromStream.getMessage().startsWith("truncated"), fromStream.getMessage());
        }
        try (IovaDomain restored = DomainSnapshot.restore(new ByteArrayInputStream(snapshot)))
        {
            restored.verify();
        }
    }

    @Test
    void everyFlippedBitIsRefused()
    {
        final byte[] snapshot = smallSnapshot();
        for (int bit = 0; bit < snapshot.length * 8; bit++)
        {
            final byte[] corrupt = snapshot.clone();
            corrupt[bit / 8] ^= (byte)(1 << (bit % 8));
            assertThrows(SnapshotFormatException.class, () -> DomainSnapshot.restore(corrupt), "bit " + bit);
        }
    }

    @Test
    void randomGarbageIsRefused()
    {
        final Random random = new Random(3);
        final byte[] snapshot = smallSnapshot();
        for (int i = 0; i < 2000; i++)
        {
            final byte[] corrupt = snapshot.clone();
            for (int j = 0; j <= random.nextInt(8); j++)
            {
                corrupt[random.nextInt(corrupt.length)] = (byte)random.nextInt(256);
            }
            if (!Arrays.equals(corrupt, snapshot))
            {
                assertThrows(SnapshotFormatException.class, () -> DomainSnapshot.restore(corrupt));
            }
        }
    }

    @Test
    void bytesAfterTheChecksumAreRefused() throws IOException
    {
        final byte[] longer = Arrays.copyOf(smallSnapshot(), smallSnapshot().length + 1);
        assertMessage("1 bytes follow the checksum", longer);
        final SnapshotFormatException ex = assertThrows(SnapshotFormatException.class,
            () -> DomainSnapshot.restore(new ByteArrayInputStream(longer)));
        assertTrue(ex.getMessage().contains("follow the checksum"), ex.getMessage());
    }

    @Test
    void wrongMagicVersionAndFlagsAreRefused()
    {
        final byte[] magic = smallSnapshot();
        magic[0] = 'X';
        assertMessage("not a domain snapshot", resealed(magic));
        final byte[] version = smallSnapshot();
        version[SnapshotDescriptor.VERSION_OFFSET + 1] = 2;
        assertMessage("snapshot version 2: this reader reads version 1", resealed(version));
        final byte[] flags = smallSnapshot();
        flags[SnapshotDescriptor.FLAGS_OFFSET + 1] = 1;
        assertMessage("flags=0x1", resealed(flags));
        final byte[] crc = smallSnapshot();
        crc[crc.length - 1] ^= 1;
        assertMessage("checksum mismatch", crc);
    }

    /** Content with a right checksum and a state no domain can hold. */
    @Test
    void forgedStatesAreRefusedWithTheReason()
    {
        final int body = SnapshotDescriptor.HEADER_LENGTH;
        final int allowedCount = body + SnapshotDescriptor.DOMAIN_LENGTH;

        final byte[] granule = smallSnapshot();
        ByteBuffer.wrap(granule).putLong(body, 3);
        assertMessage("granuleBytes=3 is not a power of two", resealed(granule));

        final byte[] start = smallSnapshot();
        ByteBuffer.wrap(start).putLong(body + 8, 0);
        assertMessage("a domain needs 1 <= startPfn <= lastPfn", resealed(start));

        final byte[] fit = smallSnapshot();
        fit[body + 24] = 3;
        assertMessage("defaultFit=3 is not a fit", resealed(fit));

        final byte[] count = smallSnapshot();
        ByteBuffer.wrap(count).putInt(allowedCount, 1_000_000);
        assertMessage("allowed range count 1000000 needs 16000000 bytes", resealed(count));

        // The small snapshot's first allowed range is [0x100, 0x1ff], its second [0x400, 0x4ff].
        final byte[] order = smallSnapshot();
        ByteBuffer.wrap(order).putLong(allowedCount + 4 + 16, 0x180);
        assertMessage("allowed range 1 [0x180, 0x4ff] is out of order, overlaps or touches", resealed(order));

        final byte[] outside = smallSnapshot();
        ByteBuffer.wrap(outside).putLong(allowedCount + 4 + 8, 0x100000);
        assertMessage("allowed range 0 [0x100, 0x100000] is empty or leaves the domain", resealed(outside));
    }

    @Test
    void liveRangeOverAReservationIsRefusedAndCreatesNothing()
    {
        try (IovaDomain domain = IovaDomain.builder().startPfn(1).lastPfn(0xfff).build())
        {
            assertTrue(domain.reserve(0x100, 0x1ff, "a"));
            assertEquals(AllocAtOutcome.PLACED, domain.allocAt(0x200, 0x10));
            final byte[] snapshot = DomainSnapshot.toBytes(domain);
            // The live range is the last 16 bytes before the checksum: move it into the reservation.
            ByteBuffer.wrap(snapshot).putLong(snapshot.length - 4 - 16, 0x1f8).putLong(snapshot.length - 4 - 8, 0x207);
            assertMessage("live allocation [0x1f8, 0x207] cannot be restored: RESERVED", resealed(snapshot));
        }
    }

    // ---------------------------------------------------------------------------------------

    private static byte[] smallSnapshot()
    {
        try (IovaDomain domain = IovaDomain.builder().startPfn(1).lastPfn(0xfffff).fit(Fit.LOWEST).build())
        {
            domain.allow(0x100, 0x1ff);
            domain.allow(0x400, 0x4ff);
            assertTrue(domain.reserve(0x110, 0x11f, "dev"));
            assertTrue(domain.reserve(0x118, 0x120, null));
            assertEquals(AllocAtOutcome.PLACED, domain.allocAt(0x400, 8));
            domain.alloc(3, 0xfffff, 1, Fit.HIGHEST);
            return DomainSnapshot.toBytes(domain);
        }
    }

    /** @return {@code snapshot} with its checksum recomputed, as a forger would. */
    private static byte[] resealed(final byte[] snapshot)
    {
        final CRC32C crc = new CRC32C();
        crc.update(snapshot, 0, snapshot.length - 4);
        ByteBuffer.wrap(snapshot).putInt(snapshot.length - 4, (int)crc.getValue());
        return snapshot;
    }

    private static void assertMessage(final String expected, final byte[] snapshot)
    {
        final SnapshotFormatException ex = assertThrows(SnapshotFormatException.class, () -> DomainSnapshot.restore(snapshot));
        assertTrue(ex.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + ex.getMessage());
    }

    private static List<long[]> liveOf(final IovaDomain domain)
    {
        final List<long[]> live = new ArrayList<>();
        domain.forEachRange((loPfn, hiPfn, reserved) -> {
            if (!reserved)
            {
                live.add(new long[] {loPfn, hiPfn});
            }
        });
        return live;
    }

    private static String describe(final IovaDomain domain)
    {
        final StringBuilder text = new StringBuilder();
        domain.forEachRange((loPfn, hiPfn, reserved) -> text.append(reserved ? "R" : "L").append(Long.toHexString(loPfn))
            .append('-').append(Long.toHexString(hiPfn)).append(' '));
        text.append("| allowed ");
        domain.forEachAllowed((loPfn, hiPfn, reserved) -> text.append(Long.toHexString(loPfn)).append('-')
            .append(Long.toHexString(hiPfn)).append(' '));
        text.append("| reservations ");
        domain.forEachReservation((loPfn, hiPfn, owner) -> text.append(Long.toHexString(loPfn)).append('-')
            .append(Long.toHexString(hiPfn)).append(':').append(owner).append(' '));
        return text.toString();
    }
}
