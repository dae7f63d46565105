/**
 * The off-heap gap-augmented B-tree: the engine of every allocation.
 *
 * <p>Owns the node layouts ({@link dev.iova.tree.LeafDescriptor}, {@link dev.iova.tree.InnerDescriptor}),
 * the off-heap slot storage, the gap arithmetic ({@link dev.iova.tree.Gaps}) and the tree
 * ({@link dev.iova.tree.IntervalTree}), which finds the highest free position for any request in
 * O(log n). Imports nothing else of this project. Not thread-safe: {@code dev.iova.IovaDomain}
 * puts its lock around it.
 */
package dev.iova.tree;
