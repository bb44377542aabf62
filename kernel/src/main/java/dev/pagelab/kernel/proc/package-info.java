/**
 * Processes and threads: ELF64 parsing and exec (binfmt_elf), the process (thread group) and its
 * user threads, exit statuses and fatal-signal reports.
 *
 * <p>Lock order: exec runs before the process's first thread exists and takes no lock; thread
 * exit takes mm.mmapSem for writing (exit_mmap) last, after every other thread has gone.
 */
package dev.pagelab.kernel.proc;
