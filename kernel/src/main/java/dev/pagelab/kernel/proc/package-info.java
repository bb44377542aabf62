/**
 * Processes and threads: ELF64 parsing and exec (binfmt_elf), the process (thread group) with
 * its fs_struct, signal_struct and children, the process table, its user threads with their
 * signal masks, exit statuses and fatal-signal reports.
 *
 * <p>Lock order: exec runs before the process's first thread exists (or, for execve, on a new mm
 * nobody else sees) and takes no lock; thread exit takes mm.mmapSem for writing (exit_mmap)
 * last, after every other thread has gone. Everything else here is guarded by the baton.
 */
package dev.pagelab.kernel.proc;
