package dev.pagelab.kernel.fs;

import dev.pagelab.kernel.Errno;
import dev.pagelab.kernel.sched.Scheduler;
import dev.pagelab.kernel.sched.WaitQueue;

/**
 * A pipe (Linux: fs/pipe.c struct pipe_inode_info): a 64 KiB ring buffer with a read end and a
 * write end, each an open file description. A read blocks while the pipe is empty and a writer
 * exists (no writer: end of file); a write blocks while it is full and a reader exists (no
 * reader: EPIPE, and the syscall layer sends SIGPIPE). Writes of at most PIPE_BUF bytes are
 * atomic: they wait for room for all of their bytes.
 *
 * <p>Unlike Linux, the buffer is one ring of bytes, not pages; O_NONBLOCK gives EAGAIN.
 */
public final class Pipe {
    public static final int CAPACITY = 65536, PIPE_BUF = 4096;
    public static final int POLLIN = 1, POLLOUT = 4, POLLERR = 8, POLLHUP = 16, POLLNVAL = 32;

    /** How a task sleeps on a pipe: interruptibly; throws Errno(EINTR) when it must give up. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(WaitQueue q);
    }

    private final byte[] ring = new byte[CAPACITY]; // guarded by the baton
    private int head, used; // next byte to read, bytes held; guarded by the baton
    private int readers, writers; // open ends; guarded by the baton
    private final WaitQueue wait; // readers and writers both sleep here (Linux: pipe->wait)
    private final Sleeper sleeper; // immutable

    private Pipe(Scheduler scheduler, Sleeper sleeper) {
        this.wait = new WaitQueue(scheduler);
        this.sleeper = sleeper;
    }

    /** do_pipe: a new pipe's read end and write end. */
    public static OpenFile[] create(Scheduler scheduler, Sleeper sleeper, int flags) {
        Pipe p = new Pipe(scheduler, sleeper);
        int status = flags & OpenFile.O_NONBLOCK;
        p.readers = 1;
        p.writers = 1;
        return new OpenFile[] {p.new End(OpenFile.O_RDONLY | status), p.new End(OpenFile.O_WRONLY | status)};
    }

    /** pipe_read. */
    int read(End end, byte[] buf, int off, int len) {
        if (len == 0) {
            return 0;
        }
        while (used == 0) {
            if (writers == 0) {
                return 0;
            }
            if (end.nonBlocking()) {
                throw new Errno(Errno.EAGAIN);
            }
            sleeper.sleep(wait);
        }
        int n = Math.min(len, used);
        for (int i = 0; i < n; i++) {
            buf[off + i] = ring[(head + i) % CAPACITY];
        }
        head = (head + n) % CAPACITY;
        used -= n;
        wait.wakeAll();
        return n;
    }

    /** pipe_write. */
    int write(End end, byte[] buf, int off, int len) {
        int done = 0;
        while (done < len || len == 0) {
            if (readers == 0) {
                if (done > 0) {
                    return done;
                }
                throw new Errno(Errno.EPIPE);
            }
            if (len == 0) {
                return 0;
            }
            int room = CAPACITY - used;
            int want = len - done;
            boolean atomic = len <= PIPE_BUF;
            if (room == 0 || atomic && room < want) {
                if (end.nonBlocking()) {
                    if (done > 0) {
                        return done;
                    }
                    throw new Errno(Errno.EAGAIN);
                }
                sleeper.sleep(wait);
                continue;
            }
            int n = Math.min(room, want);
            for (int i = 0; i < n; i++) {
                ring[(head + used + i) % CAPACITY] = buf[off + done + i];
            }
            used += n;
            done += n;
            wait.wakeAll();
        }
        return done;
    }

    /** Linux: pipe_poll's POLLIN: data, or no writer left (EOF). */
    boolean readReady() {
        return used > 0 || writers == 0;
    }

    /** pipe_poll's POLLOUT (or POLLERR without readers): room for PIPE_BUF bytes. */
    boolean writeReady() {
        return CAPACITY - used >= PIPE_BUF || readers == 0;
    }

    /** Bytes waiting to be read (FIONREAD, tests). */
    public int available() {
        return used;
    }

    /** One end of the pipe: an open file description. */
    public final class End extends OpenFile {
        End(int flags) {
            super(flags);
        }

        @Override
        public int read(byte[] buf, int off, int len) {
            if (!readable()) {
                throw new Errno(Errno.EBADF);
            }
            return Pipe.this.read(this, buf, off, len);
        }

        @Override
        public int write(byte[] buf, int off, int len) {
            if (!writable()) {
                throw new Errno(Errno.EBADF);
            }
            return Pipe.this.write(this, buf, off, len);
        }

        @Override
        public int mode() {
            return Kstat.S_IFIFO | 0600;
        }

        /** pipe_release: the last close of an end wakes the other side (EOF or EPIPE). */
        @Override
        public void release() {
            if (readable()) {
                readers--;
            } else {
                writers--;
            }
            wait.wakeAll();
        }

        public Pipe pipe() {
            return Pipe.this;
        }

        /** f_op->poll: the POLL* bits ready on this end. */
        public int poll() {
            if (readable()) {
                return (readReady() ? POLLIN : 0) | (writers == 0 ? POLLHUP : 0);
            }
            return readers == 0 ? POLLOUT | POLLERR : writeReady() ? POLLOUT : 0;
        }

        /** Where a poller sleeps until this end may have become ready. */
        public WaitQueue waitQueue() {
            return wait;
        }
    }
}
