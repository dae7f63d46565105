/**
 * DMA mapping: what a DMA layer, a user-space driver or an IOMMU simulator calls to map buffers
 * for devices, after Linux's {@code drivers/iommu/dma-iommu.c} and {@code io-pgtable-arm.c}.
 *
 * <p>Owns the off-heap I/O page table ({@link dev.iova.dma.IoPageTable}, its entry layout
 * {@code PageTableDescriptor} and table pool), translations ({@link dev.iova.dma.Translation}),
 * IOTLB invalidation ({@link dev.iova.dma.Iotlb}, {@link dev.iova.dma.SimulatedIotlb}), the flush
 * queues of lazy invalidation ({@code FlushQueues}, {@code FlushQueueDescriptor}) and the domain
 * that puts them together with the allocator ({@link dev.iova.dma.DmaDomain},
 * {@link dev.iova.dma.DmaDevice}, with {@link dev.iova.dma.DmaMapping} handles and
 * {@link dev.iova.dma.DmaIova} two-step reservations): reserved regions carved and identity-mapped
 * at creation, MSI doorbells in the software-MSI window, DMA masks, strict and lazy invalidation,
 * page tables reclaimed as unmaps empty them.
 *
 * <p>May import the rest of the project: {@code dev.iova} (the allocator and region carving),
 * {@code dev.iova.region}, {@code dev.iova.internal}. The one rule every class here serves: <b>an IOVA is never handed out
 * again before the IOTLB invalidation that covers its last unmap has completed</b>. Every public
 * type is safe to use from many threads; {@code map}, {@code unmap} and {@code translate} allocate
 * nothing on the Java heap in the steady state. See {@code docs/dma.md}.
 */
package dev.iova.dma;
