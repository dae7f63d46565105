package dev.iova;

/** Receives ranges from {@link IovaDomain#forEachRange(RangeVisitor)}, in ascending order. */
@FunctionalInterface
public interface RangeVisitor
{
    /**
     * @param loPfn    first pfn of the range.
     * @param hiPfn    last pfn of the range (inclusive).
     * @param reserved true for a reserved range, false for an allocation.
     */
    void visit(long loPfn, long hiPfn, boolean reserved);
}
