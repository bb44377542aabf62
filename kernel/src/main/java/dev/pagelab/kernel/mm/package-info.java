/**
 * Memory management, modelled on Linux 2.6 mm/: frames and struct page, page tables in guest
 * physical memory, VMAs, the page-fault paths and user access.
 *
 * <p>Lock ordering in mm (depth = taken inside):
 * <pre>
 *   mm.mmapSem (rw_semaphore; read for faults, write for mmap/munmap/mprotect/brk/exit)
 *     page lock (PG_locked; the filesystem layer, later)
 *       mm.ptl (page_table_lock: every pte of the mm)
 * </pre>
 * The TLB shootdown ({@link dev.pagelab.kernel.mm.Tlb}) takes no lock. Frame allocation takes no
 * lock (only one task runs at a time; allocation is not a scheduling point).
 */
package dev.pagelab.kernel.mm;
