package dev.iova.tree;

/**
 * Arithmetic on free gaps: what fits in a gap, and where the highest fit goes.
 *
 * <h2>Why one number per gap answers every size-aligned request</h2>
 * A size-aligned request of {@code s} pages must start at a multiple of {@code a}, the power of
 * two at or above {@code s}. If {@code s} fits in a gap, so does every smaller {@code s'}: its
 * alignment {@code a'} divides {@code a}, so the same start works and ends earlier. Fitting is
 * therefore monotone in {@code s}, and a gap is described exactly by the largest size-aligned
 * request that fits in it, {@link #alignedFitPages(long, long)}: {@code s} fits if and only if
 * {@code s <= alignedFitPages}. The maximum of that number over a subtree says exactly whether
 * any gap in the subtree fits, so a search never enters a subtree in vain. (A tree augmented with
 * the longest gap only, as FreeBSD's {@code iommu_gas.c}, cannot tell a 2-page gap that starts on
 * an odd pfn from one that starts on an even pfn, and must walk such gaps one by one.)
 */
public final class Gaps
{
    /** Returned by the placement methods when the request does not fit. */
    public static final long NO_FIT = -1L;

    private Gaps()
    {
    }

    /**
     * The largest {@code s} such that a size-aligned request of {@code s} pages fits in
     * {@code [gapLoPfn, gapHiPfn]}; 0 for an empty gap. O(1).
     *
     * <p>Let {@code b} be the largest naturally aligned power-of-two block inside the gap. Every
     * request of at most {@code b} pages fits. A request of more than {@code 2b} pages cannot
     * (its alignment would make a naturally aligned block of {@code 2b} fit). A request between
     * the two is aligned to {@code 2b} and fits when the space from the first multiple of
     * {@code 2b} in the gap to the gap's end is large enough. Since a gap of length {@code L}
     * always holds an aligned block of half the power of two below {@code L}, {@code b} is one of
     * two candidates.
     *
     * @param gapLoPfn first free pfn.
     * @param gapHiPfn last free pfn (inclusive); below {@code gapLoPfn} for an empty gap.
     * @return the largest size-aligned request that fits, in pages.
     */
    public static long alignedFitPages(final long gapLoPfn, final long gapHiPfn)
    {
        if (gapHiPfn < gapLoPfn)
        {
            return 0;
        }
        final long lengthPages = gapHiPfn - gapLoPfn + 1;
        long blockPages = Long.highestOneBit(lengthPages);
        if (alignUp(gapLoPfn, blockPages) + blockPages - 1 > gapHiPfn)
        {
            blockPages >>>= 1;
        }
        final long nextAlignStart = alignUp(gapLoPfn, blockPages << 1);
        if (nextAlignStart <= gapHiPfn)
        {
            final long tailPages = gapHiPfn - nextAlignStart + 1;
            if (tailPages > blockPages)
            {
                return tailPages;
            }
        }
        return blockPages;
    }

    /**
     * The highest first pfn for {@code pages} pages inside {@code [gapLoPfn, gapHiPfn]}, aligned to
     * {@code alignPages}.
     *
     * @param gapLoPfn   first free pfn.
     * @param gapHiPfn   last free pfn (inclusive).
     * @param pages      request length, at least 1.
     * @param alignPages a power of two; 1 for no alignment.
     * @return the first pfn, or {@link #NO_FIT}.
     */
    public static long highestFit(final long gapLoPfn, final long gapHiPfn, final long pages, final long alignPages)
    {
        final long lastStart = gapHiPfn - pages + 1;
        if (lastStart < gapLoPfn)
        {
            return NO_FIT;
        }
        final long startPfn = lastStart & -alignPages;
        return startPfn >= gapLoPfn ? startPfn : NO_FIT;
    }

    /**
     * The lowest first pfn for {@code pages} pages inside {@code [gapLoPfn, gapHiPfn]}, aligned to
     * {@code alignPages}.
     *
     * @param gapLoPfn   first free pfn.
     * @param gapHiPfn   last free pfn (inclusive).
     * @param pages      request length, at least 1.
     * @param alignPages a power of two; 1 for no alignment.
     * @return the first pfn, or {@link #NO_FIT}.
     */
    public static long lowestFit(final long gapLoPfn, final long gapHiPfn, final long pages, final long alignPages)
    {
        final long startPfn = alignUp(gapLoPfn, alignPages);
        return startPfn >= gapLoPfn && startPfn <= gapHiPfn - pages + 1 ? startPfn : NO_FIT;
    }

    /**
     * @param pages at least 1 and at most 2^62.
     * @return the alignment of a size-aligned request: {@code pages} rounded up to a power of two.
     */
    public static long sizeAlignment(final long pages)
    {
        return pages == 1 ? 1 : Long.highestOneBit(pages - 1) << 1;
    }

    /**
     * @param pfn        a pfn, at most 2^57.
     * @param alignPages a power of two, at most 2^57.
     * @return the lowest multiple of {@code alignPages} at or above {@code pfn}.
     */
    public static long alignUp(final long pfn, final long alignPages)
    {
        return (pfn + alignPages - 1) & -alignPages;
    }
}
