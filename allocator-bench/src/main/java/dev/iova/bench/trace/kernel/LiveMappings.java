package dev.iova.bench.trace.kernel;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The mappings an import holds live, by pfn range (never overlapping: a map that would overlap
 * is skipped), and the scatter-gather ones also by their physical addresses, which is all a
 * {@code dma_unmap_sg} prints.
 */
final class LiveMappings
{
    /** One live mapping: the trace id that names it and the pfns the kernel gave it. */
    static final class Mapping
    {
        final long id;
        final long loPfn;
        final long hiPfn;
        final PhysKey sgKey;

        Mapping(final long id, final long loPfn, final long hiPfn, final PhysKey sgKey)
        {
            this.id = id;
            this.loPfn = loPfn;
            this.hiPfn = hiPfn;
            this.sgKey = sgKey;
        }
    }

    /** The physical addresses of a scatter-gather list, compared by value. */
    record PhysKey(long[] physAddrs)
    {
        @Override
        public boolean equals(final Object other)
        {
            return other instanceof PhysKey && Arrays.equals(physAddrs, ((PhysKey)other).physAddrs);
        }

        @Override
        public int hashCode()
        {
            return Arrays.hashCode(physAddrs);
        }

        @Override
        public String toString()
        {
            return Arrays.toString(physAddrs);
        }
    }

    private final TreeMap<Long, Mapping> byLoPfn = new TreeMap<>(Long::compareUnsigned);
    private final Map<PhysKey, ArrayDeque<Mapping>> sgByPhys = new HashMap<>();

    /** @return how many mappings are live. */
    int size()
    {
        return byLoPfn.size();
    }

    /** @return true when a live mapping has a pfn in {@code [loPfn, hiPfn]}. */
    boolean overlaps(final long loPfn, final long hiPfn)
    {
        final Map.Entry<Long, Mapping> below = byLoPfn.floorEntry(hiPfn);
        return below != null && Long.compareUnsigned(below.getValue().hiPfn, loPfn) >= 0;
    }

    void add(final Mapping mapping)
    {
        byLoPfn.put(mapping.loPfn, mapping);
        if (mapping.sgKey != null)
        {
            sgByPhys.computeIfAbsent(mapping.sgKey, k -> new ArrayDeque<>()).addLast(mapping);
        }
    }

    /** Removes and returns every live mapping with a pfn in {@code [loPfn, hiPfn]}, lowest first. */
    List<Mapping> removeOverlapping(final long loPfn, final long hiPfn)
    {
        final List<Mapping> removed = new ArrayList<>(1);
        Map.Entry<Long, Mapping> entry = byLoPfn.floorEntry(hiPfn);
        while (entry != null && Long.compareUnsigned(entry.getValue().hiPfn, loPfn) >= 0)
        {
            removed.add(0, entry.getValue());
            entry = byLoPfn.lowerEntry(entry.getKey());
        }
        for (final Mapping mapping : removed)
        {
            remove(mapping);
        }
        return removed;
    }

    /** Removes and returns the oldest live scatter-gather mapping of these physical addresses, or null. */
    Mapping removeSg(final PhysKey key)
    {
        final ArrayDeque<Mapping> mappings = sgByPhys.get(key);
        if (mappings == null)
        {
            return null;
        }
        final Mapping mapping = mappings.peekFirst();
        remove(mapping);
        return mapping;
    }

    private void remove(final Mapping mapping)
    {
        byLoPfn.remove(mapping.loPfn);
        if (mapping.sgKey != null)
        {
            final ArrayDeque<Mapping> mappings = sgByPhys.get(mapping.sgKey);
            mappings.remove(mapping);
            if (mappings.isEmpty())
            {
                sgByPhys.remove(mapping.sgKey);
            }
        }
    }
}
