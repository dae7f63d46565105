package dev.iova.dma;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import static dev.iova.dma.IoPageTable.hex;

/**
 * A mapping handle: what {@link DmaDevice#map(DmaMapping, long, long, DmaDirection)} fills in and
 * {@link DmaDevice#unmap(DmaMapping)} takes back, so a driver keeps no (address, bytes) pair of its own.
 *
 * <p><b>Why a handle.</b> An unmap by address cannot tell a stale address from a live one: once
 * a buffer is unmapped its IOVA may go to another buffer, and a second unmap of the old address
 * takes the new buffer away. The handle knows its own state: unmapping it twice throws, whatever
 * the address now maps, and it unmaps exactly the bytes it mapped. After the device's
 * {@link DmaDevice#unmapAll()} a handle made before it maps nothing, and unmapping it throws too.
 *
 * <p><b>Reuse, not garbage.</b> The caller owns the object and reuses it (one per descriptor
 * slot of a ring, say): a handle that maps nothing may map again; one that maps something refuses
 * to. Nothing is allocated per call. A handle serves one mapping at a time; two threads racing on
 * the same handle get one success and one {@link IllegalStateException}, never two unmaps.
 */
public final class DmaMapping
{
    private static final int FREE = 0;
    private static final int LIVE = 1;
    private static final int BUSY = 2;

    private static final VarHandle STATE;

    static
    {
        try
        {
            STATE = MethodHandles.lookup().findVarHandle(DmaMapping.class, "state", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** FREE, LIVE or BUSY (a call in progress owns the fields). */
    private volatile int state;
    private DmaDevice device;
    private long dmaAddress;
    private long bytes;
    private long teardownEpoch;
    private MapFailure failure;

    /** An empty handle, mapping nothing. */
    public DmaMapping()
    {
    }

    /** @return the DMA address of the mapping, or {@link DmaDomain#NO_ADDRESS} when it maps nothing. */
    public long dmaAddress()
    {
        return isMapped() ? dmaAddress : DmaDomain.NO_ADDRESS;
    }

    /** @return the bytes mapped, exactly as given to {@code map}; 0 when it maps nothing. */
    public long bytes()
    {
        return isMapped() ? bytes : 0;
    }

    /** @return true while the handle holds a live mapping (not unmapped, not torn down with its device). */
    public boolean isMapped()
    {
        return state == LIVE && teardownEpoch == device.teardownEpoch();
    }

    /** @return what ran out when the last map through this handle returned false; null after a success. */
    public MapFailure failure()
    {
        return failure;
    }

    @Override
    public String toString()
    {
        return isMapped() ? "DmaMapping{dma=" + hex(dmaAddress) + ", bytes=" + hex(bytes) + "}" : "DmaMapping{unmapped}";
    }

    // ---------------------------------------------------------------------------------------------
    // For DmaDevice
    // ---------------------------------------------------------------------------------------------

    /** Takes the handle for a map. */
    void beginMap()
    {
        int observed;
        while ((observed = state) != FREE)
        {
            if (observed == LIVE && teardownEpoch != device.teardownEpoch())
            {
                if (STATE.compareAndSet(this, LIVE, BUSY))
                {
                    return; // its mapping went with its device's teardown
                }
                continue;
            }
            throw new IllegalStateException(observed == LIVE ?
                "this handle still maps dma=" + hex(dmaAddress) + " bytes=" + hex(bytes) + ": unmap it before mapping again" :
                "this handle is in use by another thread's map or unmap");
        }
        if (!STATE.compareAndSet(this, FREE, BUSY))
        {
            throw new IllegalStateException("this handle is in use by another thread's map or unmap");
        }
    }

    void mapped(final DmaDevice owner, final long dma, final long mappedBytes, final long epoch)
    {
        this.device = owner;
        this.dmaAddress = dma;
        this.bytes = mappedBytes;
        this.teardownEpoch = epoch;
        this.failure = null;
        STATE.setRelease(this, LIVE);
    }

    void mapFailed(final MapFailure reason)
    {
        this.failure = reason;
        STATE.setRelease(this, FREE);
    }

    /** Releases the handle after a map that threw. */
    void abortMap()
    {
        STATE.setRelease(this, FREE);
    }

    /**
     * Takes the handle for an unmap by {@code caller}.
     *
     * @throws IllegalStateException when it maps nothing, belongs to another device, or its device was torn down since.
     */
    void beginUnmap(final DmaDevice caller)
    {
        if (!STATE.compareAndSet(this, LIVE, BUSY))
        {
            throw new IllegalStateException(state == BUSY ?
                "this handle is in use by another thread's map or unmap" :
                "this handle maps nothing: it was already unmapped, or never mapped (a stale unmap)");
        }
        if (device != caller)
        {
            STATE.setRelease(this, LIVE);
            throw new IllegalStateException("this handle's mapping dma=" + hex(dmaAddress) + " belongs to " + device +
                ", not to " + caller);
        }
        if (teardownEpoch != caller.teardownEpoch())
        {
            STATE.setRelease(this, FREE);
            throw new IllegalStateException("dma=" + hex(dmaAddress) + " was unmapped by the device's unmapAll(): " +
                "this handle maps nothing (a stale unmap)");
        }
    }

    long mappedDma()
    {
        return dmaAddress;
    }

    long mappedBytes()
    {
        return bytes;
    }

    /** @param stillMapped true when the unmap refused (bad input): the mapping is still there. */
    void endUnmap(final boolean stillMapped)
    {
        STATE.setRelease(this, stillMapped ? LIVE : FREE);
    }
}
