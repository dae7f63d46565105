package dev.iova;

import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;

import dev.iova.cache.RangeCache;

/**
 * Frees the native memory of an {@link IovaDomain} that becomes unreachable without being closed:
 * the range caches' live map is {@code malloc}'d, which the garbage collector does not see (the
 * tree's chunks and the cache's magazines are direct buffers, which it does).
 *
 * <p>A {@link Cleaner} action must not reach the object it watches, or the object never becomes
 * unreachable. The range cache calls the domain's tree through a {@link RangeCache.Backend}, and the
 * domain's backend is an inner class that holds the domain; so the cache is given a
 * {@link WeakBackend} that holds the domain's backend weakly, while the domain holds it strongly.
 * The action holds the cache, which then reaches nothing of the domain.
 */
final class DomainCleanup
{
    private static final Cleaner CLEANER = Cleaner.create();

    private DomainCleanup()
    {
    }

    /**
     * @param domain the domain to watch.
     * @param cache  its range cache, closed when the domain becomes unreachable or is closed.
     * @return what {@link IovaDomain#close()} cleans (at most once, then it is deregistered).
     */
    static Cleaner.Cleanable register(final IovaDomain domain, final RangeCache cache)
    {
        return CLEANER.register(domain, cache::close);
    }

    /** Forwards to a backend held weakly: only the domain holds it strongly. */
    static final class WeakBackend implements RangeCache.Backend
    {
        private final WeakReference<RangeCache.Backend> target;

        WeakBackend(final RangeCache.Backend target)
        {
            this.target = new WeakReference<>(target);
        }

        private RangeCache.Backend target()
        {
            final RangeCache.Backend backend = target.get();
            if (backend == null)
            {
                throw new IllegalStateException("domain is closed: it became unreachable and its Cleaner freed it");
            }
            return backend;
        }

        @Override
        public long allocCachedRun(
            final long pages, final int maxRanges, final long limitPfn, final RangeCache.LiveMarker marker, final int sizeClass,
            final long hint)
        {
            return target().allocCachedRun(pages, maxRanges, limitPfn, marker, sizeClass, hint);
        }

        @Override
        public long allocUntracked(final long pages, final long limitPfn)
        {
            return target().allocUntracked(pages, limitPfn);
        }

        @Override
        public void freeCached(final long pfn, final long pages)
        {
            target().freeCached(pfn, pages);
        }

        @Override
        public void freeUntracked(final long pfn, final long pages, final long classPages)
        {
            target().freeUntracked(pfn, pages, classPages);
        }
    }
}
