/**
 * The deterministic scheduler, its strategies, and the scheduler-aware sleeping primitives
 * ({@link dev.pagelab.kernel.sched.KLock}, {@link dev.pagelab.kernel.sched.RwSem},
 * {@link dev.pagelab.kernel.sched.WaitQueue}).
 *
 * <p>Lock order: none inside this package. Scheduler state is only touched by the task that holds
 * the baton (exactly one at a time), so it needs no Java lock; Java memory visibility between task
 * threads comes from the baton's semaphore handoff.
 */
package dev.pagelab.kernel.sched;
