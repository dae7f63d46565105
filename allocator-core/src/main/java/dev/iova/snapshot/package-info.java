/**
 * Snapshots of an {@link dev.iova.IovaDomain}: its whole state written to a versioned binary
 * format with a checksum ({@link dev.iova.snapshot.DomainSnapshot}, the layout in
 * {@link dev.iova.snapshot.SnapshotDescriptor}), and restored into a new domain that places
 * exactly as the original. A corrupt or truncated snapshot is refused with a
 * {@link dev.iova.snapshot.SnapshotFormatException} that gives the reason, and creates nothing.
 *
 * <p>Imports {@code dev.iova} (the API it saves and rebuilds through); nothing imports it.
 * {@code docs/snapshots.md} describes the format byte by byte.
 */
package dev.iova.snapshot;
