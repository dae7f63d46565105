package dev.iova;

/**
 * Where {@link IovaDomain#alloc(long, long, long, Fit)} places a range among the candidates: the
 * first pfns {@code p} that are multiples of the alignment, at or above {@link IovaDomain#startPfn()},
 * with {@code p + pages - 1} at or below the limit, every pfn free and, when allowed ranges exist,
 * inside one of them ({@code trace-format.md}, v2).
 */
public enum Fit
{
    /** The largest candidate (the default, Linux's top-down placement). */
    HIGHEST,
    /** The smallest candidate (bottom-up placement, as VMM allocators offer). */
    LOWEST,
    /**
     * The largest candidate of the shortest free run that holds one; on a tie, the highest such
     * run. A free run is a maximal run of free pfns, cut at {@code startPfn}, at the limit and at
     * the edges of the allowed ranges, its length counted after the cut.
     */
    BEST
}
