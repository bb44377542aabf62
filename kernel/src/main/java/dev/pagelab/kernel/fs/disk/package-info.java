/**
 * The disk under the filesystem: {@link dev.pagelab.kernel.fs.disk.VirtualDisk} (a block device
 * over an image file, whose writes stay "in flight" until completed) and
 * {@link dev.pagelab.kernel.fs.disk.PagelabFs} (pfs, the on-disk format: superblock, block bitmap,
 * inode table, one flat directory; synchronous metadata, crash-safe by write ordering, plus fsck).
 *
 * <p>Lock order in fs.disk (depth = taken inside):
 * <pre>
 *   the baton (PagelabFs state: inodes, bitmap, directory, reservations)
 *     VirtualDisk's monitor (its in-flight list and counters; the image file)
 * </pre>
 * A write's completion callback runs after VirtualDisk drops its monitor, so the callback may
 * take anything (page locks, wait queues) without inverting this order.
 */
package dev.pagelab.kernel.fs.disk;
