/**
 * The IOVA allocator: {@link dev.iova.IovaDomain} and the layers it stands on, and the DMA-mapping
 * layer above it ({@code dev.iova.dma}).
 *
 * <p>Exports every package but {@code dev.iova.internal}, which holds what the layers call on
 * each other and users must not. Agrona, which holds the off-heap memory, reads
 * {@code jdk.internal.misc.Unsafe}: a JVM that loads this module from the module path needs
 * {@code --add-exports java.base/jdk.internal.misc=org.agrona} (on the class path,
 * {@code =ALL-UNNAMED}); without it the first domain says so in one sentence.
 */
module dev.iova {
    requires org.agrona;

    exports dev.iova;
    exports dev.iova.cache;
    exports dev.iova.concurrent;
    exports dev.iova.dma;
    exports dev.iova.region;
    exports dev.iova.snapshot;
    exports dev.iova.tree;
}
