package dev.pagelab.kernel.syscall;

import dev.pagelab.kernel.Errno;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.mm.MmStruct;
import dev.pagelab.kernel.mm.UserAccess;
import dev.pagelab.kernel.proc.SignalStruct;
import dev.pagelab.kernel.proc.UserThread;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The small calls libc start-up and busybox make: time on the virtual clock, identity (pagelab's
 * programs run as root, uid 0 / gid 0), limits, system information, deterministic randomness.
 * (Linux: kernel/time/*, kernel/sys.c, kernel/sched/core.c, drivers/char/random.c.)
 */
final class InfoCalls {
    static final long TIMER_ABSTIME = 1;
    static final int GRND_NONBLOCK = 1, GRND_RANDOM = 2, GRND_INSECURE = 4;

    private final Kernel kernel; // immutable reference
    private final UserAccess ua; // immutable reference
    private final Clocks clocks; // immutable reference
    private long randomState = 0x9e37_79b9_7f4a_7c15L; // splitmix64 state; guarded by the baton

    InfoCalls(Kernel kernel, Clocks clocks) {
        this.kernel = kernel;
        this.ua = kernel.uaccess();
        this.clocks = clocks;
    }

    private static MmStruct mm(UserThread t) {
        return t.process().mm();
    }

    private void putTimespec(UserThread t, long addr, long ns) {
        byte[] b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(ns / Clocks.NSEC_PER_SEC).putLong(ns % Clocks.NSEC_PER_SEC).array();
        ua.copyToUser(mm(t), addr, b);
    }

    long clockGettime(UserThread t, long clockid, long tp) {
        putTimespec(t, tp, clocks.read(clockid));
        return 0;
    }

    /** clock_getres: 1 ns for every clock (the virtual clock ticks once per instruction). */
    long clockGetres(UserThread t, long clockid, long res) {
        clocks.read(clockid);
        if (res != 0) {
            putTimespec(t, res, 1);
        }
        return 0;
    }

    /** gettimeofday: struct timeval {sec, usec}; the time zone is UTC. */
    long gettimeofday(UserThread t, long tv, long tz) {
        long ns = clocks.realtime();
        if (tv != 0) {
            byte[] b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(ns / Clocks.NSEC_PER_SEC).putLong(ns % Clocks.NSEC_PER_SEC / 1000).array();
            ua.copyToUser(mm(t), tv, b);
        }
        if (tz != 0) {
            ua.copyToUser(mm(t), tz, new byte[8]);
        }
        return 0;
    }

    long time(UserThread t, long tloc) {
        long sec = clocks.realtime() / Clocks.NSEC_PER_SEC;
        if (tloc != 0) {
            ua.putUserLong(mm(t), tloc, sec);
        }
        return sec;
    }

    /** clock_nanosleep: relative, or TIMER_ABSTIME against the named clock. */
    long clockNanosleep(UserThread t, long clockid, long flags, long req, long rem) {
        long sec = ua.getUserLong(mm(t), req);
        long nsec = ua.getUserLong(mm(t), req + 8);
        if (sec < 0 || nsec < 0 || nsec >= Clocks.NSEC_PER_SEC) {
            throw new Errno(Errno.EINVAL);
        }
        long ns = sec > Long.MAX_VALUE / (2 * Clocks.NSEC_PER_SEC) ? Long.MAX_VALUE / 2 : sec * Clocks.NSEC_PER_SEC + nsec;
        if ((flags & TIMER_ABSTIME) != 0) {
            ns = Math.max(0, ns - clocks.read(clockid));
        } else {
            clocks.read(clockid);
        }
        kernel.scheduler().sleep(ns);
        return 0;
    }

    /** sched_getaffinity: one bit per virtual CPU; returns the mask's size (one long). */
    long schedGetaffinity(UserThread t, long pid, long len, long mask) {
        if (len < 8 || (len & 7) != 0) {
            throw new Errno(Errno.EINVAL);
        }
        int n = kernel.cpus().size();
        ua.putUserLong(mm(t), mask, n >= 64 ? -1L : (1L << n) - 1);
        return 8;
    }

    /** sysinfo: uptime from the virtual clock, memory from the frame allocator (mem_unit 1). */
    long sysinfo(UserThread t, long info) {
        long total = kernel.frames().memory().frames() * 4096L;
        long free = total - kernel.frames().inUse() * 4096L;
        ByteBuffer b = ByteBuffer.allocate(112).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, clocks.monotonic() / Clocks.NSEC_PER_SEC);
        b.putLong(32, total).putLong(40, free);
        b.putShort(80, (short) kernel.processes().count());
        b.putInt(104, 1);
        ua.copyToUser(mm(t), info, b.array());
        return 0;
    }

    /** prlimit64 on the caller (pid 0 or its own): old limit out, new limit in. */
    long prlimit64(UserThread t, long pid, long resource, long newLimit, long oldLimit) {
        if (pid != 0 && pid != t.process().pid()) {
            throw new Errno(Errno.ESRCH);
        }
        if (resource < 0 || resource >= SignalStruct.RLIM_NLIMITS) {
            throw new Errno(Errno.EINVAL);
        }
        SignalStruct sig = t.process().signal();
        long[] old = sig.rlimit((int) resource);
        if (newLimit != 0) {
            long cur = ua.getUserLong(mm(t), newLimit);
            long max = ua.getUserLong(mm(t), newLimit + 8);
            if (!sig.setRlimit((int) resource, cur, max)) {
                throw new Errno(Long.compareUnsigned(cur, max) > 0 ? Errno.EINVAL : Errno.EPERM);
            }
        }
        if (oldLimit != 0) {
            ua.putUserLong(mm(t), oldLimit, old[0]);
            ua.putUserLong(mm(t), oldLimit + 8, old[1]);
        }
        return 0;
    }

    long getrlimit(UserThread t, long resource, long rlim) {
        return prlimit64(t, 0, resource, 0, rlim);
    }

    long setrlimit(UserThread t, long resource, long rlim) {
        return prlimit64(t, 0, resource, rlim, 0);
    }

    /**
     * getrandom: unlike Linux, deterministic: a splitmix64 stream seeded identically at every
     * boot, so two runs of a program print the same (hash seeds, temporary names, ...).
     */
    long getrandom(UserThread t, long buf, long count, long flags) {
        if ((flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) != 0 || count < 0) {
            throw new Errno(Errno.EINVAL);
        }
        int n = (int) Math.min(count, 1 << 20);
        byte[] out = new byte[n];
        for (int i = 0; i < n; i += 8) {
            long r = nextRandom();
            for (int j = 0; j < 8 && i + j < n; j++) {
                out[i + j] = (byte) (r >>> (8 * j));
            }
        }
        ua.copyToUser(mm(t), buf, out);
        return n;
    }

    private long nextRandom() {
        long z = (randomState += 0x9e37_79b9_7f4a_7c15L);
        z = (z ^ (z >>> 30)) * 0xbf58_476d_1ce4_e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d0_49bb_1331_11ebL;
        return z ^ (z >>> 31);
    }

    long umask(UserThread t, long mask) {
        return t.process().fs().swapUmask((int) mask);
    }

    /** getresuid/getresgid: real, effective and saved ids, all 0. */
    long getresid(UserThread t, long r, long e, long s) {
        ua.putUserInt(mm(t), r, 0);
        ua.putUserInt(mm(t), e, 0);
        ua.putUserInt(mm(t), s, 0);
        return 0;
    }

    /** getgroups: root belongs to group 0 only. */
    long getgroups(UserThread t, long size, long list) {
        if (size < 0) {
            throw new Errno(Errno.EINVAL);
        }
        if (size == 0) {
            return 1;
        }
        ua.putUserInt(mm(t), list, 0);
        return 1;
    }

    /** set_robust_list: the head is remembered only in that its size is checked. Unlike Linux, robust futexes are not released at exit. */
    long setRobustList(UserThread t, long head, long len) {
        if (len != 24) {
            throw new Errno(Errno.EINVAL);
        }
        return 0;
    }

    /** sysinfo's sibling for times(2): user and system time of the process and its children, all virtual clock ticks (USER_HZ 100). */
    long times(UserThread t, long buf) {
        long ticks = clocks.monotonic() / 10_000_000L;
        if (buf != 0) {
            ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN).putLong(0, ticks);
            ua.copyToUser(mm(t), buf, b.array());
        }
        return ticks;
    }

    /** getrusage: the user time from the virtual clock; every other field zero. */
    long getrusage(UserThread t, long who, long usage) {
        if (who != 0 && who != -1 && who != 1) {
            throw new Errno(Errno.EINVAL);
        }
        long ns = who == 0 || who == 1 ? clocks.monotonic() : 0;
        ByteBuffer b = ByteBuffer.allocate(144).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, ns / Clocks.NSEC_PER_SEC).putLong(8, ns % Clocks.NSEC_PER_SEC / 1000);
        ua.copyToUser(mm(t), usage, b.array());
        return 0;
    }
}
