package dev.iova;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.iova.cache.RangeCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An {@link IovaDomain} that becomes unreachable unclosed frees its range caches' native memory
 * (the live map's {@code malloc}'d leaves): its Cleaner closes the cache. The test keeps the cache
 * (taken by reflection), which must not keep the domain reachable.
 */
class IovaDomainCleanerTest
{
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void unreachableDomainsCloseTheirRangeCaches() throws ReflectiveOperationException, InterruptedException
    {
        final List<RangeCache> caches = new ArrayList<>();
        for (int i = 0; i < 10; i++)
        {
            caches.add(abandonDomain());
        }

        while (!caches.stream().allMatch(cache -> cache.offHeapBytes() == 0))
        {
            System.gc(); // the test's timeout catches a domain that stays reachable
            Thread.sleep(10);
        }
    }

    @Test
    void closeStillClosesTheCacheAtOnce() throws ReflectiveOperationException
    {
        final IovaDomain domain = IovaDomain.builder().build();
        final RangeCache cache = cacheOf(domain);
        assertTrue(domain.allocFast(1, 0xfffff) != IovaDomain.NO_ADDRESS);

        domain.close();

        assertEquals(0, cache.offHeapBytes());
        domain.close();
    }

    private static RangeCache abandonDomain() throws ReflectiveOperationException
    {
        final IovaDomain domain = IovaDomain.builder().build();
        domain.allocFast(1, 0xfffff); // the live map takes a leaf
        final RangeCache cache = cacheOf(domain);
        assertTrue(cache.offHeapBytes() > 0);
        return cache;
    }

    private static RangeCache cacheOf(final IovaDomain domain) throws ReflectiveOperationException
    {
        final Field field = IovaDomain.class.getDeclaredField("cache");
        field.setAccessible(true);
        return (RangeCache)field.get(domain);
    }
}
