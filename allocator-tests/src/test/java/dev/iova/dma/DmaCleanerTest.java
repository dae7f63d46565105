package dev.iova.dma;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.iova.IovaDomain;
import dev.iova.region.Protection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** A domain that becomes unreachable unclosed frees its native memory and stops its flush timer. */
class DmaCleanerTest
{
    /** What outlives the domain: none of it reaches the domain. */
    private record Leftovers(Thread timer, IoPageTable table, IovaDomain iovas)
    {
        boolean freed()
        {
            return !timer.isAlive() && table.isClosed() && iovas.isClosed();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void unreachableLazyDomainsStopTheirTimersAndFreeTheirMemory() throws InterruptedException
    {
        final List<Leftovers> leftovers = new ArrayList<>();
        for (int i = 0; i < 10; i++)
        {
            leftovers.add(abandonLazyDomain());
        }

        while (!leftovers.stream().allMatch(Leftovers::freed))
        {
            System.gc(); // the test's timeout catches a domain that stays reachable
            Thread.sleep(10);
        }
    }

    private static Leftovers abandonLazyDomain()
    {
        final DmaDomain domain = DmaDomain.builder().invalidationMode(InvalidationMode.LAZY).build();
        final long dma = domain.map(0x10_0000L, 3 * 4096, Protection.READ_WRITE);
        domain.unmap(dma, 3 * 4096); // queued: the flush queues hold it
        domain.map(0x20_0000L, 4096, Protection.READ); // mapped: the page table and the caches' live map hold it
        final Leftovers leftovers = new Leftovers(domain.flushTimerThread(), domain.pageTable(), domain.iovaDomain());
        assertTrue(leftovers.timer().isAlive());
        return leftovers;
    }
}
