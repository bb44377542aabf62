package dev.pagelab.kernel.fs;

import dev.pagelab.kernel.Errno;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The guest's terminal: fd 0 reads the host's stdin, fds 1 and 2 write to the host's streams. A
 * null stream is a descriptor the host had closed: reading or writing it is EBADF.
 */
public final class Console extends OpenFile {
    private final InputStream in; // null for output consoles
    private final OutputStream out; // null for the input console

    private Console(int flags, InputStream in, OutputStream out) {
        super(flags);
        this.in = in;
        this.out = out;
    }

    public static Console input(InputStream in) {
        return new Console(O_RDONLY, in, null);
    }

    public static Console output(OutputStream out) {
        return new Console(O_WRONLY, null, out);
    }

    @Override
    public int read(byte[] buf, int off, int len) {
        if (in == null) {
            throw new Errno(Errno.EBADF);
        }
        try {
            int n = in.read(buf, off, len);
            return Math.max(n, 0);
        } catch (IOException e) {
            throw new Errno(Errno.EIO);
        }
    }

    @Override
    public int write(byte[] buf, int off, int len) {
        if (out == null) {
            throw new Errno(Errno.EBADF);
        }
        try {
            out.write(buf, off, len);
            out.flush();
            return len;
        } catch (IOException e) {
            throw new Errno(hostErrno(e));
        }
    }

    /**
     * The errno of a failed host write. The JDK reports the host's strerror text only, so it is
     * matched: a full device is ENOSPC, a closed pipe EPIPE (then SIGPIPE), anything else EIO.
     */
    static int hostErrno(IOException e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("No space left on device")) {
            return Errno.ENOSPC;
        }
        if (m.contains("Broken pipe")) {
            return Errno.EPIPE;
        }
        if (m.contains("Disk quota exceeded")) {
            return 122; // EDQUOT
        }
        if (m.contains("File too large")) {
            return Errno.EFBIG;
        }
        return Errno.EIO;
    }

    @Override
    public int mode() {
        return Inode.S_IFCHR | 0620;
    }
}
