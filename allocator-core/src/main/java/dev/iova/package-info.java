/**
 * The IOVA allocator's API: {@link dev.iova.IovaDomain}, an I/O virtual address space that
 * hands out pfn ranges at the highest fit in O(log n), from off-heap memory, without garbage.
 *
 * <p>Layers, each a package that says what it may import: {@code dev.iova.tree} (the off-heap
 * augmented interval tree, imports nothing of ours), {@code dev.iova.region} (typed reserved
 * regions, may import {@code tree}); this root package puts them together. Every type here is
 * safe to use from many threads unless its javadoc says otherwise.
 */
package dev.iova;
