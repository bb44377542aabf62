package dev.pagelab.kernel.syscall;

import dev.pagelab.emulator.Register;
import dev.pagelab.emulator.Vcpu;
import dev.pagelab.kernel.Errno;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.mm.MmStruct;
import dev.pagelab.kernel.mm.UserAccess;
import dev.pagelab.kernel.proc.ExitStatus;
import dev.pagelab.kernel.proc.Process;
import dev.pagelab.kernel.proc.UserThread;
import dev.pagelab.kernel.sched.SchedPoint;
import dev.pagelab.kernel.sched.WaitQueue;
import java.nio.charset.StandardCharsets;

/** Process and thread syscalls: clone (threads), exit, exit_group, futex, nanosleep, ... */
final class ProcessCalls {
    static final long CLONE_VM = 0x100, CLONE_SIGHAND = 0x800, CLONE_THREAD = 0x10000, CLONE_SETTLS = 0x80000,
            CLONE_PARENT_SETTID = 0x100000, CLONE_CHILD_CLEARTID = 0x200000, CLONE_CHILD_SETTID = 0x1000000;
    static final int FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10,
            FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;
    static final int ARCH_SET_GS = 0x1001, ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003, ARCH_GET_GS = 0x1004;
    static final String RELEASE = "2.6.30-pagelab";
    /** CLOCK_REALTIME minus the virtual clock (see {@link Clocks}). */
    static final long REALTIME_OFFSET_NS = Clocks.BOOT_EPOCH_SECONDS * Clocks.NSEC_PER_SEC;

    private final Kernel kernel; // immutable reference
    private final UserAccess ua; // immutable reference

    ProcessCalls(Kernel kernel) {
        this.kernel = kernel;
        this.ua = kernel.uaccess();
    }

    /**
     * sys_clone for threads only (CLONE_VM | CLONE_SIGHAND | CLONE_THREAD): the child starts with
     * the parent's registers at the same RIP, RAX = 0, on {@code newsp}. Unlike Linux, fork (no
     * CLONE_VM) is not implemented: -ENOSYS.
     */
    long clone(UserThread parent, long flags, long newsp, long parentTid, long childTid, long tls) {
        long required = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD;
        if ((flags & required) != required) {
            throw new Errno(Errno.ENOSYS);
        }
        Process p = parent.process();
        long[] regs = kernel.ensureOnCpu(parent).saveUserState();
        regs[UserThread.index(Register.RAX)] = 0;
        if (newsp != 0) {
            regs[UserThread.index(Register.RSP)] = newsp;
        }
        if ((flags & CLONE_SETTLS) != 0) {
            regs[UserThread.index(Register.FS_BASE)] = tls;
        }
        UserThread child = kernel.spawnThread(p, regs);
        MmStruct mm = p.mm();
        if ((flags & CLONE_PARENT_SETTID) != 0) {
            ua.putUserInt(mm, parentTid, child.tid());
        }
        if ((flags & CLONE_CHILD_SETTID) != 0) {
            ua.putUserInt(mm, childTid, child.tid());
        }
        if ((flags & CLONE_CHILD_CLEARTID) != 0) {
            child.setClearChildTid(childTid);
        }
        return child.tid();
    }

    /** sys_exit: this thread only; the last thread's code becomes the process's. Never returns. */
    long exit(UserThread t, long code) {
        if (t.process().threads().size() == 1) {
            t.process().beginExit(ExitStatus.exited((int) code));
        }
        kernel.exitThread(t);
        return Syscalls.NO_RETURN;
    }

    /** sys_exit_group: every thread of the process exits with {@code code}. */
    long exitGroup(UserThread t, long code) {
        t.process().beginExit(ExitStatus.exited((int) code));
        return Syscalls.NO_RETURN;
    }

    /** sys_futex: FUTEX_WAIT (with an optional relative timeout) and FUTEX_WAKE. */
    long futex(UserThread t, long uaddr, long op, long val, long timeout) {
        int cmd = (int) op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
        if ((uaddr & 3) != 0) {
            throw new Errno(Errno.EINVAL);
        }
        Process p = t.process();
        WaitQueue q = p.futexQueue(uaddr);
        return switch (cmd) {
            case FUTEX_WAIT -> futexWait(t, uaddr, (int) val, timeout, q);
            case FUTEX_WAKE, FUTEX_WAKE_BITSET -> q.wake((int) Math.min(Integer.MAX_VALUE, Math.max(0, val)));
            case FUTEX_WAIT_BITSET -> futexWaitAbsolute(t, uaddr, (int) val, timeout,
                    (op & FUTEX_CLOCK_REALTIME) != 0, q);
            default -> throw new Errno(Errno.ENOSYS);
        };
    }

    private long futexWait(UserThread t, long uaddr, int val, long timeout, WaitQueue q) {
        MmStruct mm = t.process().mm();
        if (ua.getUserInt(mm, uaddr) != val) {
            throw new Errno(Errno.EAGAIN);
        }
        if (timeout == 0) {
            q.sleep();
            return 0;
        }
        long deadline = kernel.scheduler().clock() + timespecNanos(mm, timeout);
        return q.sleepUntil(deadline) ? 0 : -Errno.ETIMEDOUT;
    }

    /**
     * FUTEX_WAIT_BITSET: the timeout is an absolute CLOCK_MONOTONIC (or, with
     * FUTEX_CLOCK_REALTIME, CLOCK_REALTIME) time. Unlike Linux, bitsets are not matched: every
     * wake wakes bitset waiters too, a spurious wake-up that futex users re-check anyway.
     */
    private long futexWaitAbsolute(UserThread t, long uaddr, int val, long timeout, boolean realtime, WaitQueue q) {
        MmStruct mm = t.process().mm();
        if (ua.getUserInt(mm, uaddr) != val) {
            throw new Errno(Errno.EAGAIN);
        }
        if (timeout == 0) {
            q.sleep();
            return 0;
        }
        long at = timespecNanos(mm, timeout) - (realtime ? REALTIME_OFFSET_NS : 0);
        return q.sleepUntil(Math.max(at, kernel.scheduler().clock())) ? 0 : -Errno.ETIMEDOUT;
    }

    private long timespecNanos(MmStruct mm, long addr) {
        long sec = ua.getUserLong(mm, addr);
        long nsec = ua.getUserLong(mm, addr + 8);
        if (sec < 0 || nsec < 0 || nsec >= 1_000_000_000L) {
            throw new Errno(Errno.EINVAL);
        }
        return sec > Long.MAX_VALUE / 2_000_000_000L ? Long.MAX_VALUE / 2 : sec * 1_000_000_000L + nsec;
    }

    long schedYield() {
        kernel.scheduler().point(SchedPoint.YIELD);
        return 0;
    }

    /** nanosleep on the virtual clock (one ns per guest instruction; idle time is skipped). */
    long nanosleep(UserThread t, long req) {
        long ns = timespecNanos(t.process().mm(), req);
        kernel.scheduler().sleep(ns);
        return 0;
    }

    long archPrctl(UserThread t, long code, long addr) {
        Vcpu cpu = kernel.ensureOnCpu(t);
        switch ((int) code) {
            case ARCH_SET_FS, ARCH_SET_GS -> {
                if (addr < 0 || addr >= MmStruct.TASK_SIZE) {
                    throw new Errno(Errno.EPERM);
                }
                cpu.set(code == ARCH_SET_FS ? Register.FS_BASE : Register.GS_BASE, addr);
            }
            case ARCH_GET_FS, ARCH_GET_GS -> ua.putUserLong(t.process().mm(), addr,
                    cpu.get(code == ARCH_GET_FS ? Register.FS_BASE : Register.GS_BASE));
            default -> throw new Errno(Errno.EINVAL);
        }
        return 0;
    }

    long setTidAddress(UserThread t, long tidptr) {
        t.setClearChildTid(tidptr);
        return t.tid();
    }

    /** sys_uname: struct utsname, six 65-byte fields. */
    long uname(UserThread t, long buf) {
        String[] fields = {"Linux", "pagelab", RELEASE, "#1 SMP pagelab", "x86_64", "(none)"};
        byte[] out = new byte[6 * 65];
        for (int i = 0; i < fields.length; i++) {
            byte[] f = fields[i].getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(f, 0, out, 65 * i, f.length);
        }
        ua.copyToUser(t.process().mm(), buf, out);
        return 0;
    }
}
