package dev.iova;

/**
 * One range of a domain, as {@link IovaDomain#find(long)} reports it.
 *
 * @param loPfn    first pfn.
 * @param hiPfn    last pfn (inclusive).
 * @param reserved true for a reserved range, false for an allocation.
 */
public record IovaRange(long loPfn, long hiPfn, boolean reserved)
{
    /** @return the length in pages. */
    public long pages()
    {
        return hiPfn - loPfn + 1;
    }

    @Override
    public String toString()
    {
        return (reserved ? "reserved[0x" : "allocated[0x") + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) + "]";
    }
}
