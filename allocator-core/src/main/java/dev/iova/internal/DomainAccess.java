package dev.iova.internal;

import dev.iova.IovaDomain;

/**
 * Trusted allocation on an {@link IovaDomain}, for the DMA layer only (the "shared secrets"
 * pattern: the domain installs the one implementation when its class initialises, so the
 * methods need not be public on the domain itself).
 *
 * <h2>Why the DMA layer skips the free check</h2>
 * {@link IovaDomain#freeFast} checks every free against the caches' live map, which costs a
 * compare-and-set and a write to a map shared by all threads. The DMA layer already knows each
 * IOVA range is freed exactly once: an unmap claims the mapping from the page table with one
 * compare-and-set, from entries that mark the first and last page, and only the winner frees
 * the range (after its invalidation, in lazy mode). Checking again in the live map was a quarter
 * of the lazy map/unmap profile on two threads ({@code docs/benchmarks.md}). A trusted range is
 * still a cache-owned node of the tree, so a stray {@code free} or {@code freeFast} of it through
 * the public API is refused as before.
 */
public abstract class DomainAccess
{
    private static volatile DomainAccess installed;

    /**
     * @return the implementation the domain installed.
     */
    public static DomainAccess get()
    {
        DomainAccess access = installed;
        if (access == null)
        {
            IovaDomain.builder(); // initialises IovaDomain, which installs the implementation
            access = installed;
            if (access == null)
            {
                throw new IllegalStateException("IovaDomain did not install its DomainAccess");
            }
        }
        return access;
    }

    /**
     * Called once, by {@code IovaDomain}'s static initialiser.
     *
     * @param access the implementation.
     * @throws IllegalStateException when one is installed already.
     */
    public static void install(final DomainAccess access)
    {
        synchronized (DomainAccess.class)
        {
            if (installed != null)
            {
                throw new IllegalStateException("DomainAccess is installed already");
            }
            installed = access;
        }
    }

    /**
     * As {@link IovaDomain#allocFast(long, long)}, but the range is not entered in the caches'
     * live map: it must be freed with {@link #freeFastTrusted}, exactly once.
     *
     * @param domain   the domain.
     * @param pages    how many pages, at least 1.
     * @param limitPfn the highest pfn the range may use (inclusive), at least the domain's start.
     * @return the first pfn, or {@link IovaDomain#NO_ADDRESS} when nothing fits.
     * @throws IllegalArgumentException when {@code pages < 1} or {@code limitPfn} is below the start.
     * @throws IllegalStateException    after the domain is closed.
     */
    public abstract long allocFastTrusted(IovaDomain domain, long pages, long limitPfn);

    /**
     * Frees a range that {@link #allocFastTrusted} handed out, without the live-map check;
     * ranges larger than the caches go to the tree's checked free as usual. The caller
     * guarantees {@code pfn} is such a range, live, of that length.
     *
     * @param domain the domain.
     * @param pfn    the first pfn of the range.
     * @param pages  the length it was allocated with.
     * @throws IllegalStateException after the domain is closed.
     */
    public abstract void freeFastTrusted(IovaDomain domain, long pfn, long pages);
}
