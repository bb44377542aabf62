package dev.pagelab.kernel.syscall;

import dev.pagelab.kernel.Errno;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.fs.OpenFile;
import dev.pagelab.kernel.fs.Pipe;
import dev.pagelab.kernel.mm.UserAccess;
import dev.pagelab.kernel.proc.UserThread;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * poll and ppoll (Linux: fs/select.c do_sys_poll). Pipes report what pipe_poll reports; every
 * other file (regular files, consoles, directories) is always ready for what its mode allows.
 *
 * <p>Unlike Linux, a poller does not sit on every file's wait queue at once: it sleeps on the
 * first pipe's queue with a deadline of at most {@link #RECHECK_NS} of virtual time, then checks
 * every descriptor again (idle virtual time is skipped, so this costs no real time).
 */
final class PollCalls {
    static final long RECHECK_NS = 1_000_000;
    private static final int MAX_FDS = 4096;

    private final Kernel kernel; // immutable reference
    private final UserAccess ua; // immutable reference

    PollCalls(Kernel kernel) {
        this.kernel = kernel;
        this.ua = kernel.uaccess();
    }

    /** poll: timeout in ms, negative = forever. */
    long poll(UserThread t, long fds, long nfds, long timeoutMs) {
        long deadline = timeoutMs < 0 ? -1 : kernel.scheduler().clock() + Math.min(timeoutMs, Long.MAX_VALUE / 4_000_000) * 1_000_000;
        return doPoll(t, fds, nfds, deadline);
    }

    /** ppoll: a timespec timeout (NULL = forever); the signal mask argument is not applied. */
    long ppoll(UserThread t, long fds, long nfds, long tsp, long sigmask, long sigsetsize) {
        long deadline = -1;
        if (tsp != 0) {
            long sec = ua.getUserLong(t.process().mm(), tsp);
            long nsec = ua.getUserLong(t.process().mm(), tsp + 8);
            if (sec < 0 || nsec < 0 || nsec >= 1_000_000_000L) {
                throw new Errno(Errno.EINVAL);
            }
            deadline = kernel.scheduler().clock() + Math.min(sec, Long.MAX_VALUE / 4_000_000_000L) * 1_000_000_000L + nsec;
        }
        return doPoll(t, fds, nfds, deadline);
    }

    private long doPoll(UserThread t, long fds, long nfds, long deadline) {
        if (nfds < 0 || nfds > MAX_FDS) {
            throw new Errno(Errno.EINVAL);
        }
        byte[] raw = ua.copyFromUser(t.process().mm(), fds, (int) nfds * 8);
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        while (true) {
            int ready = 0;
            Pipe.End sleepOn = null;
            for (int i = 0; i < nfds; i++) {
                int fd = b.getInt(8 * i);
                int events = b.getShort(8 * i + 4) | Pipe.POLLERR | Pipe.POLLHUP;
                int revents = fd < 0 ? 0 : revents(t, fd) & (events | Pipe.POLLNVAL);
                b.putShort(8 * i + 6, (short) revents);
                ready += revents != 0 ? 1 : 0;
                if (revents == 0 && fd >= 0 && sleepOn == null && t.process().files().get(fd) instanceof Pipe.End e) {
                    sleepOn = e;
                }
            }
            long now = kernel.scheduler().clock();
            if (ready > 0 || deadline >= 0 && now >= deadline || t.process().exiting()) {
                ua.copyToUser(t.process().mm(), fds, raw);
                return ready;
            }
            long until = deadline < 0 ? now + RECHECK_NS : Math.min(deadline, now + RECHECK_NS);
            if (sleepOn != null) {
                sleepOn.waitQueue().sleepUntil(until);
            } else {
                kernel.scheduler().sleep(until - now);
            }
        }
    }

    /** The POLL* bits of one descriptor (POLLNVAL if it is not open). */
    private static int revents(UserThread t, int fd) {
        OpenFile f;
        try {
            f = t.process().files().get(fd);
        } catch (Errno e) {
            return Pipe.POLLNVAL;
        }
        if (f instanceof Pipe.End e) {
            return e.poll();
        }
        return (f.readable() ? Pipe.POLLIN : 0) | (f.writable() ? Pipe.POLLOUT : 0);
    }
}
