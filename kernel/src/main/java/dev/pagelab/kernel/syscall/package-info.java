/**
 * System calls: the Linux x86-64 numbers and semantics. {@code Syscalls} holds the original
 * table and asks {@code ProgramCalls} for the rest (paths, descriptors, clocks and identity,
 * signals, processes, poll); docs/syscalls.md lists every number, checked by a test.
 *
 * <p>Lock order: handlers take mm.mmapSem (write for mmap/munmap/mprotect/brk and fork's
 * dup_mmap, read for msync) and nothing else directly; see dev.pagelab.kernel.mm for what nests
 * inside it. fork takes the parent's mmapSem (write), then the parent's ptl, then the child's.
 * execve builds the new mm without locks (nobody else sees it), then tears the old one down
 * with exit_mmap. Sleeps (pipes, wait4, sigsuspend) hold no lock and are interruptible by a
 * fatal signal (Process.sleepInterruptible).
 */
package dev.pagelab.kernel.syscall;
