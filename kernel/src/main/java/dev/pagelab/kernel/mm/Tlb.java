package dev.pagelab.kernel.mm;

/**
 * TLB shootdowns (Linux: flush_tlb_mm, flush_tlb_page): drop cached translations on every CPU
 * that runs the mm. The emulated TLB is real: a pte made less permissive without this keeps
 * working through the stale entry.
 */
public interface Tlb {
    /** flush_tlb_mm: every CPU whose CR3 is this mm's pgd. */
    void flushTlbMm(MmStruct mm);

    /** Drop translated code on every CPU (after a frame that held user code is reused). */
    void flushCodeCaches();
}
