package dev.pagelab.kernel.syscall;

import dev.pagelab.kernel.Errno;
import dev.pagelab.kernel.sched.Scheduler;

/**
 * The clocks a program can read (Linux: kernel/time/posix-timers.c clock ids), all derived from
 * the scheduler's virtual clock (one ns per guest instruction, idle time skipped), so runs stay
 * deterministic. Unlike Linux, CLOCK_REALTIME does not follow the host: the machine boots at
 * {@link #BOOT_EPOCH_SECONDS} (2009-01-01 00:00:00 UTC) and its wall clock advances with the
 * virtual clock; every process and thread CPU-time clock reads the same virtual time.
 */
final class Clocks {
    static final int CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2,
            CLOCK_THREAD_CPUTIME_ID = 3, CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5,
            CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7;
    static final long BOOT_EPOCH_SECONDS = 1_230_768_000L;
    static final long NSEC_PER_SEC = 1_000_000_000L;

    private final Scheduler scheduler; // immutable reference

    Clocks(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    /** Nanoseconds since boot. */
    long monotonic() {
        return scheduler.clock();
    }

    /** Nanoseconds since the Unix epoch. */
    long realtime() {
        return BOOT_EPOCH_SECONDS * NSEC_PER_SEC + scheduler.clock();
    }

    /** Seconds since the Unix epoch at boot (the time stamp every file shows). */
    long bootTime() {
        return BOOT_EPOCH_SECONDS;
    }

    /** The reading of {@code clockid} in ns; EINVAL for a clock pagelab does not have. */
    long read(long clockid) {
        return switch ((int) clockid) {
            case CLOCK_REALTIME, CLOCK_REALTIME_COARSE -> realtime();
            case CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME,
                 CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID -> monotonic();
            default -> throw new Errno(Errno.EINVAL);
        };
    }

    /** The same clock's reading minus its offset from the monotonic clock (for absolute deadlines). */
    long offset(long clockid) {
        return read(clockid) - monotonic();
    }
}
