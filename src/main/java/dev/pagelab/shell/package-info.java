/**
 * {@code pagelab shell}: a debugger for the whole machine, guest and kernel.
 *
 * <p>Threads and who touches what:
 * <pre>
 *   shell thread       reads commands (jline or a script), owns Session and the views;
 *                      reads kernel state only while the machine is stopped
 *   machine thread     runs Kernel.run; posts Finished when the program is over
 *   task threads       the scheduler's; the one holding the baton calls the Debugger
 *                      (KernelEvents and the budget hook), which blocks it to stop the machine
 *   signal thread      Ctrl-C: only sets Debugger's volatile interrupt flag
 * </pre>
 * The stop handshake orders everything: a stopping task posts a Stopped outcome to a queue and
 * waits on a semaphore; the shell takes the outcome, works, then releases the semaphore. Each
 * handoff is a happens-before edge, so no kernel structure needs a lock of its own for the shell,
 * and the views never take kernel locks or pass scheduling points (which would run the machine).
 *
 * <p>Layers: the shell is application code; it reads the kernel's own structures (PageTables,
 * MmStruct, Vma, Page, AddressSpace, Rmap, BufferHead, PagelabFs) and decodes with the emulator's
 * X86Paging and Pte. Guest breakpoints live in the emulator's native run loop (its block hook).
 */
package dev.pagelab.shell;
