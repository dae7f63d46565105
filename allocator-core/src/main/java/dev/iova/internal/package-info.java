/**
 * Not API: what the project's own layers call on each other and users must not. Nothing here is
 * stable or documented for outside use; a class outside this project that calls into it gets no
 * help from the checks the public API makes.
 *
 * <p>Today: {@link dev.iova.internal.DomainAccess}, through which {@code dev.iova.dma} allocates
 * and frees IOVA ranges without the range caches' free checking, because it checks every unmap
 * itself. May import {@code dev.iova}.
 */
package dev.iova.internal;
