/**
 * System calls: the Linux x86-64 numbers and semantics for the subset pagelab's guests use.
 *
 * <p>Lock order: handlers take mm.mmapSem (write for mmap/munmap/mprotect/brk, read for msync)
 * and nothing else directly; see dev.pagelab.kernel.mm for what nests inside it.
 */
package dev.pagelab.kernel.syscall;
