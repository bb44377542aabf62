/**
 * Files: inodes with their page cache ({@link dev.pagelab.kernel.fs.AddressSpace}), open files,
 * descriptors, the console, and the read-only host directory ({@code --host-dir}).
 *
 * <p>Lock order: none yet. Page-cache lookups and insertions run under the baton (only one task
 * runs at a time), standing in for Linux's mapping->tree_lock; readpage does not sleep.
 */
package dev.pagelab.kernel.fs;
