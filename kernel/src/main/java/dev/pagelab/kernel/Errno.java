package dev.pagelab.kernel;

/**
 * Linux errno values (asm-generic/errno-base.h) and the exception that carries one out of a
 * syscall's implementation to its -errno return value.
 */
public final class Errno extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public static final int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, EBADF = 9, EAGAIN = 11, ENOMEM = 12,
            EACCES = 13, EFAULT = 14, EEXIST = 17, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, EMFILE = 24,
            EFBIG = 27, ENOSPC = 28, ESPIPE = 29, EROFS = 30, ERANGE = 34, ENAMETOOLONG = 36, ENOSYS = 38,
            ETIMEDOUT = 110;
    public static final int ESRCH = 3, E2BIG = 7, ENOEXEC = 8, ECHILD = 10, EXDEV = 18, ENOTTY = 25, EPIPE = 32,
            ENOTEMPTY = 39, ELOOP = 40, EBUSY = 16, ENODEV = 19, EOPNOTSUPP = 95;

    private final int errno; // immutable

    public Errno(int errno) {
        super(null, null, false, false);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    /** "EFAULT"-style name. */
    public static String name(int errno) {
        return switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case EINTR -> "EINTR";
            case EIO -> "EIO";
            case EBADF -> "EBADF";
            case EAGAIN -> "EAGAIN";
            case ENOMEM -> "ENOMEM";
            case EACCES -> "EACCES";
            case EFAULT -> "EFAULT";
            case EEXIST -> "EEXIST";
            case ENOTDIR -> "ENOTDIR";
            case EISDIR -> "EISDIR";
            case EINVAL -> "EINVAL";
            case EMFILE -> "EMFILE";
            case EFBIG -> "EFBIG";
            case ENOSPC -> "ENOSPC";
            case ESPIPE -> "ESPIPE";
            case EROFS -> "EROFS";
            case ERANGE -> "ERANGE";
            case ENAMETOOLONG -> "ENAMETOOLONG";
            case ENOSYS -> "ENOSYS";
            case ETIMEDOUT -> "ETIMEDOUT";
            case ESRCH -> "ESRCH";
            case E2BIG -> "E2BIG";
            case ENOEXEC -> "ENOEXEC";
            case ECHILD -> "ECHILD";
            case EXDEV -> "EXDEV";
            case ENOTTY -> "ENOTTY";
            case EPIPE -> "EPIPE";
            case ENOTEMPTY -> "ENOTEMPTY";
            case ELOOP -> "ELOOP";
            case EBUSY -> "EBUSY";
            case ENODEV -> "ENODEV";
            case EOPNOTSUPP -> "EOPNOTSUPP";
            default -> "errno " + errno;
        };
    }

    @Override
    public String getMessage() {
        return name(errno);
    }
}
