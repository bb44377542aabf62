/**
 * The kernel: {@link dev.pagelab.kernel.Kernel} boots a machine and runs a program as process 1;
 * each user thread is a scheduler task whose loop runs guest code on a virtual CPU and handles the
 * exits. Subpackages: sched (deterministic scheduler), mm (memory), fs (files), proc (processes),
 * syscall (the system-call table).
 *
 * <p>Lock order across the kernel (depth = taken inside):
 * <pre>
 *   mm.mmapSem
 *     mm.ptl
 * </pre>
 * CPU register ownership ({@code ensureOnCpu}) and TLB shootdowns take no lock: only one task runs
 * at a time.
 */
package dev.pagelab.kernel;
