package dev.iova.snapshot;

import dev.iova.AllocAtOutcome;
import dev.iova.Fit;
import dev.iova.IovaDomain;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * Writes the whole state of an {@link IovaDomain} to a snapshot and restores it into a new
 * domain, as a VMM saves its IOVA allocator across a snapshot or a live migration.
 *
 * <h2>What a snapshot holds</h2>
 * The granule, {@code startPfn}, {@code lastPfn}, the default {@link Fit} the domain was built
 * with, the merged allowed ranges, every owner's merged reservations (owner names included), and
 * every live allocation. The range caches are flushed first, so a range parked in a magazine is
 * free in the snapshot, as it is for every other caller. The layout is
 * {@link SnapshotDescriptor}'s; {@code docs/snapshots.md} describes it.
 *
 * <h2>Restoring</h2>
 * {@link #restore(byte[])} checks the whole snapshot before it builds anything: magic, version,
 * flags, length, CRC-32C, then every count against the bytes left and every range against the
 * domain's bounds and the order the writer keeps. It then builds a domain with the same
 * settings and replays the state through the public API: {@code allow} each allowed range,
 * {@code reserve} each reservation with its owner, {@code allocAt} each live range. Placement
 * is a function of that state alone, so the restored domain places every later request where
 * the original would. Any refusal closes the new domain and throws
 * {@link SnapshotFormatException}: a bad snapshot creates nothing.
 *
 * <h2>Threads</h2>
 * The domain is read with several calls ({@code forEachAllowed}, {@code forEachReservation},
 * {@code forEachRange}), each under its lock but not all under one: the caller keeps other
 * threads from changing the domain while it is written (a VMM snapshots a paused guest).
 *
 * <h2>Settings not saved</h2>
 * {@code maxRanges}, {@code chunkRanges} and the cache settings are not saved ({@code IovaDomain}
 * exposes none of them but {@code maxCachedPages()}); the restored domain has the builder's
 * defaults for them. The default fit is saved ({@link IovaDomain#fit()}).
 */
public final class DomainSnapshot
{
    private static final Fit[] FITS = Fit.values();

    private DomainSnapshot()
    {
    }

    /**
     * @param domain an open domain, not changed by other threads meanwhile.
     * @return the snapshot.
     */
    public static byte[] toBytes(final IovaDomain domain)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try
        {
            write(domain, bytes);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("a ByteArrayOutputStream failed", ex);
        }
        return bytes.toByteArray();
    }

    /**
     * Writes a snapshot of {@code domain} to {@code out} (not closed).
     *
     * @param domain an open domain, not changed by other threads meanwhile.
     * @param out    where the bytes go.
     * @throws IOException when {@code out} fails.
     */
    public static void write(final IovaDomain domain, final OutputStream out) throws IOException
    {
        final Fit defaultFit = domain.fit();
        domain.flushCaches();
        final List<long[]> allowed = new ArrayList<>();
        domain.forEachAllowed((loPfn, hiPfn, reserved) -> allowed.add(new long[] {loPfn, hiPfn}));
        final Map<String, Integer> ownerIndexes = new LinkedHashMap<>();
        final List<long[]> reservations = new ArrayList<>();
        domain.forEachReservation((loPfn, hiPfn, owner) -> {
            final int ownerIndex = owner == null ? -1 : ownerIndexes.computeIfAbsent(owner, o -> ownerIndexes.size());
            reservations.add(new long[] {loPfn, hiPfn, ownerIndex});
        });
        final List<long[]> live = new ArrayList<>();
        domain.forEachRange((loPfn, hiPfn, reserved) -> {
            if (!reserved)
            {
                live.add(new long[] {loPfn, hiPfn});
            }
        });

        final ByteArrayOutputStream bodyBytes = new ByteArrayOutputStream(64 + 16 * (allowed.size() + live.size()));
        final DataOutputStream body = new DataOutputStream(bodyBytes);
        body.writeLong(domain.granuleBytes());
        body.writeLong(domain.startPfn());
        body.writeLong(domain.lastPfn());
        body.writeByte(defaultFit.ordinal());
        writeRanges(body, allowed);
        body.writeInt(ownerIndexes.size());
        for (final String owner : ownerIndexes.keySet())
        {
            final byte[] name = owner.getBytes(StandardCharsets.UTF_8);
            if (name.length > SnapshotDescriptor.MAX_OWNER_BYTES)
            {
                throw new IllegalArgumentException("owner name of " + name.length + " UTF-8 bytes is longer than " +
                    SnapshotDescriptor.MAX_OWNER_BYTES + ": a snapshot cannot hold it");
            }
            body.writeShort(name.length);
            body.write(name);
        }
        body.writeInt(reservations.size());
        for (final long[] reservation : reservations)
        {
            body.writeLong(reservation[0]);
            body.writeLong(reservation[1]);
            body.writeInt((int)reservation[2]);
        }
        writeRanges(body, live);
        body.flush();

        final ByteArrayOutputStream whole = new ByteArrayOutputStream(SnapshotDescriptor.HEADER_LENGTH + bodyBytes.size() + 4);
        final DataOutputStream data = new DataOutputStream(whole);
        data.write(SnapshotDescriptor.MAGIC);
        data.writeShort(SnapshotDescriptor.VERSION);
        data.writeShort(0);
        data.writeInt(bodyBytes.size());
        bodyBytes.writeTo(data);
        data.flush();
        final CRC32C crc = new CRC32C();
        final byte[] content = whole.toByteArray();
        crc.update(content);
        out.write(content);
        new DataOutputStream(out).writeInt((int)crc.getValue());
        out.flush();
    }

    private static void writeRanges(final DataOutputStream body, final List<long[]> ranges) throws IOException
    {
        body.writeInt(ranges.size());
        for (final long[] range : ranges)
        {
            body.writeLong(range[0]);
            body.writeLong(range[1]);
        }
    }

    /**
     * Restores a snapshot read from a stream (read to the end, not closed).
     *
     * @param in the snapshot's bytes.
     * @return a new domain in the snapshot's state; the caller closes it.
     * @throws IOException             when the stream fails.
     * @throws SnapshotFormatException when the snapshot is corrupt, truncated or inconsistent; nothing was created.
     */
    public static IovaDomain restore(final InputStream in) throws IOException
    {
        final byte[] header = in.readNBytes(SnapshotDescriptor.HEADER_LENGTH);
        if (header.length < SnapshotDescriptor.HEADER_LENGTH)
        {
            return restore(header);
        }
        final long bodyBytes = Integer.toUnsignedLong(ByteBuffer.wrap(header).getInt(SnapshotDescriptor.BODY_BYTES_OFFSET));
        // readNBytes grows its buffer as bytes arrive, so a length field that lies costs no more memory than the stream holds.
        final byte[] rest = in.readNBytes((int)Math.min(bodyBytes + SnapshotDescriptor.CHECKSUM_LENGTH + 1, SnapshotDescriptor.MAX_BODY_BYTES));
        final byte[] whole = Arrays.copyOf(header, header.length + rest.length);
        System.arraycopy(rest, 0, whole, header.length, rest.length);
        if (rest.length > bodyBytes + SnapshotDescriptor.CHECKSUM_LENGTH || in.read() >= 0)
        {
            throw new SnapshotFormatException("bytes follow the checksum: the header announces a body of " + bodyBytes +
                " bytes, the stream holds more");
        }
        return restore(whole);
    }

    /**
     * Restores a snapshot.
     *
     * @param snapshot the bytes {@link #toBytes} or {@link #write} produced.
     * @return a new domain in the snapshot's state; the caller closes it.
     * @throws SnapshotFormatException when the snapshot is corrupt, truncated or inconsistent; nothing was created.
     */
    public static IovaDomain restore(final byte[] snapshot)
    {
        final State state = read(snapshot);
        final IovaDomain domain;
        try
        {
            domain = IovaDomain.builder().granuleBytes(state.granuleBytes).startPfn(state.startPfn).lastPfn(state.lastPfn)
                .fit(state.defaultFit).build();
        }
        catch (final IllegalArgumentException ex)
        {
            throw new SnapshotFormatException("no domain can have the snapshot's settings: " + ex.getMessage(), ex);
        }
        try
        {
            for (final long[] range : state.allowed)
            {
                domain.allow(range[0], range[1]);
            }
            for (final long[] reservation : state.reservations)
            {
                final String owner = reservation[2] < 0 ? null : state.owners[(int)reservation[2]];
                if (!domain.reserve(reservation[0], reservation[1], owner))
                {
                    throw new SnapshotFormatException("reservation " + range(reservation) + " of " + ownerName(owner) +
                        " overlaps a live allocation");
                }
            }
            for (final long[] range : state.live)
            {
                final AllocAtOutcome outcome = domain.allocAt(range[0], range[1] - range[0] + 1);
                if (outcome != AllocAtOutcome.PLACED)
                {
                    throw new SnapshotFormatException("live allocation " + range(range) + " cannot be restored: " + outcome);
                }
            }
            domain.verify();
            return domain;
        }
        catch (final RuntimeException ex)
        {
            domain.close();
            if (ex instanceof SnapshotFormatException)
            {
                throw ex;
            }
            throw new SnapshotFormatException("the snapshot's state cannot be restored: " + ex.getMessage(), ex);
        }
    }

    /** A snapshot's content, checked and decoded, before any domain exists. */
    private static final class State
    {
        long granuleBytes;
        long startPfn;
        long lastPfn;
        Fit defaultFit;
        List<long[]> allowed;
        String[] owners;
        List<long[]> reservations;
        List<long[]> live;
    }

    private static State read(final byte[] snapshot)
    {
        if (snapshot.length < SnapshotDescriptor.HEADER_LENGTH)
        {
            throw new SnapshotFormatException("truncated: " + snapshot.length + " bytes, the header alone takes " +
                SnapshotDescriptor.HEADER_LENGTH);
        }
        final ByteBuffer buffer = ByteBuffer.wrap(snapshot);
        final byte[] magic = Arrays.copyOf(snapshot, SnapshotDescriptor.MAGIC.length);
        if (!Arrays.equals(magic, SnapshotDescriptor.MAGIC))
        {
            throw new SnapshotFormatException("not a domain snapshot: it starts " + hex(magic) + ", not " +
                hex(SnapshotDescriptor.MAGIC) + " (\"IOVASNAP\")");
        }
        final int version = Short.toUnsignedInt(buffer.getShort(SnapshotDescriptor.VERSION_OFFSET));
        if (version != SnapshotDescriptor.VERSION)
        {
            throw new SnapshotFormatException("snapshot version " + version + ": this reader reads version " + SnapshotDescriptor.VERSION);
        }
        final int flags = Short.toUnsignedInt(buffer.getShort(SnapshotDescriptor.FLAGS_OFFSET));
        if (flags != 0)
        {
            throw new SnapshotFormatException("flags=0x" + Integer.toHexString(flags) + ": version 1 defines none");
        }
        final long bodyBytes = Integer.toUnsignedLong(buffer.getInt(SnapshotDescriptor.BODY_BYTES_OFFSET));
        final long expectedBytes = SnapshotDescriptor.HEADER_LENGTH + bodyBytes + SnapshotDescriptor.CHECKSUM_LENGTH;
        if (snapshot.length < expectedBytes)
        {
            throw new SnapshotFormatException("truncated: " + snapshot.length + " bytes, the header announces " + expectedBytes +
                " (a body of " + bodyBytes + " and a checksum)");
        }
        if (snapshot.length > expectedBytes)
        {
            throw new SnapshotFormatException((snapshot.length - expectedBytes) + " bytes follow the checksum (the header announces " +
                expectedBytes + " bytes in all)");
        }
        final int checksumAt = (int)(expectedBytes - SnapshotDescriptor.CHECKSUM_LENGTH);
        final CRC32C crc = new CRC32C();
        crc.update(snapshot, 0, checksumAt);
        final int storedCrc = buffer.getInt(checksumAt);
        if ((int)crc.getValue() != storedCrc)
        {
            throw new SnapshotFormatException("checksum mismatch: stored 0x" + Integer.toHexString(storedCrc) + ", content 0x" +
                Long.toHexString(crc.getValue()) + ": the snapshot is corrupt");
        }
        final ByteBuffer body = ByteBuffer.wrap(snapshot, SnapshotDescriptor.HEADER_LENGTH, (int)bodyBytes).slice();
        try
        {
            final State state = readBody(body);
            if (body.hasRemaining())
            {
                throw new SnapshotFormatException(body.remaining() + " bytes left over at the end of the body");
            }
            return state;
        }
        catch (final BufferUnderflowException ex)
        {
            throw new SnapshotFormatException("the body ends inside a field (at byte " + (SnapshotDescriptor.HEADER_LENGTH + body.position()) + ")", ex);
        }
    }

    private static State readBody(final ByteBuffer body)
    {
        final State state = new State();
        state.granuleBytes = body.getLong();
        state.startPfn = body.getLong();
        state.lastPfn = body.getLong();
        if (state.granuleBytes < 1 || Long.bitCount(state.granuleBytes) != 1)
        {
            throw new SnapshotFormatException("granuleBytes=" + state.granuleBytes + " is not a power of two");
        }
        if (state.startPfn < 1 || state.lastPfn < state.startPfn)
        {
            throw new SnapshotFormatException("startPfn=0x" + Long.toHexString(state.startPfn) + ", lastPfn=0x" +
                Long.toHexString(state.lastPfn) + ": a domain needs 1 <= startPfn <= lastPfn");
        }
        final int fit = Byte.toUnsignedInt(body.get());
        if (fit >= FITS.length)
        {
            throw new SnapshotFormatException("defaultFit=" + fit + " is not a fit (0 to " + (FITS.length - 1) + ")");
        }
        state.defaultFit = FITS[fit];

        state.allowed = readRanges(body, "allowed", state, true);

        final int ownerCount = count(body, "owner", 2);
        state.owners = new String[ownerCount];
        final Set<String> seen = new HashSet<>();
        for (int i = 0; i < ownerCount; i++)
        {
            final int nameBytes = Short.toUnsignedInt(body.getShort());
            if (nameBytes == 0 || nameBytes > body.remaining())
            {
                throw new SnapshotFormatException("owner " + i + " has a name of " + nameBytes + " bytes, " +
                    (nameBytes == 0 ? "an empty name" : "beyond the " + body.remaining() + " bytes left"));
            }
            final ByteBuffer name = body.slice(body.position(), nameBytes);
            body.position(body.position() + nameBytes);
            try
            {
                final CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(name);
                state.owners[i] = chars.toString();
            }
            catch (final CharacterCodingException ex)
            {
                throw new SnapshotFormatException("owner " + i + " is not UTF-8", ex);
            }
            if (!seen.add(state.owners[i]))
            {
                throw new SnapshotFormatException("owner '" + state.owners[i] + "' is listed twice");
            }
        }

        final int reservationCount = count(body, "reservation", SnapshotDescriptor.RESERVATION_LENGTH);
        state.reservations = new ArrayList<>(reservationCount);
        final Map<Integer, long[]> lastByOwner = new LinkedHashMap<>();
        long previousLoPfn = Long.MIN_VALUE;
        for (int i = 0; i < reservationCount; i++)
        {
            final long[] reservation = {body.getLong(), body.getLong(), body.getInt()};
            checkRange("reservation", i, reservation, state);
            if (reservation[2] < -1 || reservation[2] >= ownerCount)
            {
                throw new SnapshotFormatException("reservation " + i + " names owner " + reservation[2] + ", not one of the " +
                    ownerCount + " owners (or -1, unowned)");
            }
            if (reservation[0] < previousLoPfn)
            {
                throw new SnapshotFormatException("reservation " + i + " " + range(reservation) + " is out of order");
            }
            final long[] previous = lastByOwner.put((int)reservation[2], reservation);
            if (previous != null && reservation[0] <= previous[1] + 1)
            {
                throw new SnapshotFormatException("reservation " + i + " " + range(reservation) + " overlaps or touches " +
                    range(previous) + " of the same owner: the writer merges them");
            }
            previousLoPfn = reservation[0];
            state.reservations.add(reservation);
        }

        state.live = readRanges(body, "live", state, false);
        return state;
    }

    /**
     * Reads a count and ranges, checking each is inside the domain, ascending and disjoint
     * (and, when {@code merged}, not touching either).
     */
    private static List<long[]> readRanges(final ByteBuffer body, final String what, final State state, final boolean merged)
    {
        final int count = count(body, what + " range", SnapshotDescriptor.RANGE_LENGTH);
        final List<long[]> ranges = new ArrayList<>(count);
        long previousHiPfn = Long.MIN_VALUE;
        for (int i = 0; i < count; i++)
        {
            final long[] range = {body.getLong(), body.getLong()};
            checkRange(what + " range", i, range, state);
            if (i > 0 && (range[0] <= previousHiPfn || (merged && range[0] == previousHiPfn + 1)))
            {
                throw new SnapshotFormatException(what + " range " + i + " " + range(range) + " is out of order, overlaps" +
                    (merged ? " or touches" : "") + " the one before it (ending at 0x" + Long.toHexString(previousHiPfn) + ")");
            }
            previousHiPfn = range[1];
            ranges.add(range);
        }
        return ranges;
    }

    private static int count(final ByteBuffer body, final String what, final int bytesEach)
    {
        final int count = body.getInt();
        if (count < 0 || (long)count * bytesEach > body.remaining())
        {
            throw new SnapshotFormatException(what + " count " + Integer.toUnsignedString(count) + " needs " +
                Integer.toUnsignedLong(count) * bytesEach + " bytes, " + body.remaining() + " are left: truncated or corrupt");
        }
        return count;
    }

    private static void checkRange(final String what, final int index, final long[] range, final State state)
    {
        if (range[0] > range[1] || range[0] < state.startPfn || range[1] > state.lastPfn)
        {
            throw new SnapshotFormatException(what + " " + index + " " + range(range) + " is empty or leaves the domain [0x" +
                Long.toHexString(state.startPfn) + ", 0x" + Long.toHexString(state.lastPfn) + "]");
        }
    }

    private static String range(final long[] range)
    {
        return "[0x" + Long.toHexString(range[0]) + ", 0x" + Long.toHexString(range[1]) + "]";
    }

    private static String ownerName(final String owner)
    {
        return owner == null ? "no owner" : "owner '" + owner + "'";
    }

    private static String hex(final byte[] bytes)
    {
        final StringBuilder text = new StringBuilder("0x");
        for (final byte b : bytes)
        {
            text.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return text.toString();
    }
}
