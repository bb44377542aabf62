/**
 * Files: inodes with their page cache ({@link dev.pagelab.kernel.mm.AddressSpace}), open files,
 * descriptors, the console, pipes, the memory devices of /dev, shmem for shared anonymous
 * memory, directories of the disk, and the read-only host directory ({@code --host-dir}).
 *
 * <p>Lock order: none yet. Page-cache lookups and insertions run under the baton (only one task
 * runs at a time), standing in for Linux's mapping->tree_lock; readpage does not sleep. A pipe's
 * reader and writer sleep on its wait queue holding nothing.
 */
package dev.pagelab.kernel.fs;
