package dev.pagelab.kernel.mm;

/** The outcome of a page fault (corresponds to Linux's VM_FAULT_* codes and the signal paths). */
public sealed interface FaultResult {
    /** What kind of fault was handled, for statistics. */
    enum Kind { ANONYMOUS, FILE_READ, FILE_WRITE, COW, WRITE_PROTECT, SPURIOUS }

    /** VM_FAULT_MINOR/MAJOR: the pte now allows the access; re-execute the instruction. */
    record Handled(Kind kind) implements FaultResult {}

    /** SIGSEGV: no VMA (SEGV_MAPERR) or the VMA forbids the access (SEGV_ACCERR). */
    record SigSegv(boolean mapped, String reason) implements FaultResult {}

    /** VM_FAULT_SIGBUS: a file mapping beyond the end of the file. */
    record SigBus(String reason) implements FaultResult {}

    /** VM_FAULT_OOM: no frame for the page. */
    record Oom() implements FaultResult {}
}
