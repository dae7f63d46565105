package dev.iova.dma;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import dev.iova.region.Protection;
import dev.iova.region.RegionType;
import dev.iova.region.ReservedRegion;
import dev.iova.region.ReservedRegionList;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After {@code close()}, every public method of every closable DMA class throws
 * {@link IllegalStateException} and touches no freed memory; only {@code close}, {@code isClosed},
 * {@code offHeapBytes} (0) and {@code toString} answer.
 */
class DmaUseAfterCloseTest
{
    private static final Set<String> ANSWER_AFTER_CLOSE = Set.of("close", "isClosed", "offHeapBytes", "toString",
        "equals", "hashCode", "getClass", "notify", "notifyAll", "wait");

    @Test
    void queuedUnmapsAfterCloseThrowsInsteadOfReadingFreedQueues()
    {
        final DmaDomain domain = DmaDomain.builder().invalidationMode(InvalidationMode.LAZY).flushQueueEntries(65536)
            .flushQueueStripes(8).flushTimer(false).build();
        final long dma = domain.map(0x10_0000L, 4096, Protection.READ);
        domain.unmap(dma, 4096);
        domain.close();

        assertEquals("domain is closed: " + domain, assertThrows(IllegalStateException.class, domain::queuedUnmaps).getMessage());
    }

    @Test
    void everyPublicDmaDomainMethodThrowsAfterClose() throws ReflectiveOperationException
    {
        for (final InvalidationMode mode : InvalidationMode.values())
        {
            final DmaDomain domain = DmaDomain.builder().invalidationMode(mode).regions(ReservedRegionList.of(
                ReservedRegion.of(0x800_0000L, 0x80f_ffffL, RegionType.SW_MSI))).build();
            domain.map(0x10_0000L, 4096, Protection.READ);
            domain.close();

            assertAllThrowAfterClose(domain);
            assertEquals(0, domain.offHeapBytes());
        }
    }

    @Test
    void everyPublicPageTableMethodThrowsAfterClose() throws ReflectiveOperationException
    {
        final IoPageTable table = new IoPageTable();
        table.map(0x1000, 0x1000, 0x1000, Protection.READ);
        table.close();

        assertAllThrowAfterClose(table);
        assertEquals(0, table.offHeapBytes());
    }

    @Test
    void domainsPageTableCannotBeClosedBehindItsBack()
    {
        try (DmaDomain domain = DmaDomain.builder().build())
        {
            final IoPageTable table = domain.pageTable();

            assertTrue(assertThrows(IllegalStateException.class, table::close).getMessage().endsWith(": close the domain instead"));
            assertEquals(Translation.FAULT, table.translate(0x1000));
            domain.close();
            assertThrows(IllegalStateException.class, () -> table.translate(0x1000));
        }
    }

    private static void assertAllThrowAfterClose(final Object closed) throws ReflectiveOperationException
    {
        final List<String> answered = new ArrayList<>();
        for (final Method method : closed.getClass().getMethods())
        {
            if (Modifier.isStatic(method.getModifiers()) || ANSWER_AFTER_CLOSE.contains(method.getName()))
            {
                continue;
            }
            try
            {
                method.invoke(closed, arguments(method));
                answered.add(method.toString());
            }
            catch (final InvocationTargetException ex)
            {
                if (!(ex.getCause() instanceof IllegalStateException))
                {
                    throw new AssertionError(method + " threw " + ex.getCause() + " after close", ex.getCause());
                }
            }
        }
        assertEquals(List.of(), answered, "methods that answered after close");
    }

    private static Object[] arguments(final Method method)
    {
        final Class<?>[] types = method.getParameterTypes();
        final Object[] arguments = new Object[types.length];
        for (int i = 0; i < types.length; i++)
        {
            final Class<?> type = types[i];
            arguments[i] = type == long.class ? (Object)0x1000L : type == int.class ? (Object)1 : type == boolean.class ? (Object)true :
                type == Protection.class ? Protection.READ : type == DmaDirection.class ? DmaDirection.TO_DEVICE :
                type == MapFailure.class ? MapFailure.IOVA_SPACE : type == long[].class ? new long[] {0x1000L} : null;
        }
        return arguments;
    }
}
