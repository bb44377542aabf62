/* sys.c - thin C wrappers over the raw syscalls, mapping -errno returns to errno. */
#include "sys.h"
#include "errno.h"
#include "syscall.h"

static long check(long ret)
{
    if ((unsigned long)ret >= (unsigned long)-4095) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}

ssize_t read(int fd, void *buf, size_t n) { return check(syscall3(SYS_read, fd, (long)buf, (long)n)); }
ssize_t write(int fd, const void *buf, size_t n) { return check(syscall3(SYS_write, fd, (long)buf, (long)n)); }

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
    return check(syscall4(SYS_pread64, fd, (long)buf, (long)n, off));
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    return check(syscall4(SYS_pwrite64, fd, (long)buf, (long)n, off));
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
    return check(syscall3(SYS_writev, fd, (long)iov, iovcnt));
}

int openat(int dirfd, const char *path, int flags, mode_t mode)
{
    return (int)check(syscall4(SYS_openat, dirfd, (long)path, flags, mode));
}

int open(const char *path, int flags, mode_t mode) { return openat(AT_FDCWD, path, flags, mode); }
int close(int fd) { return (int)check(syscall1(SYS_close, fd)); }
int fstat(int fd, struct stat *st) { return (int)check(syscall2(SYS_fstat, fd, (long)st)); }
off_t lseek(int fd, off_t off, int whence) { return check(syscall3(SYS_lseek, fd, off, whence)); }
int fsync(int fd) { return (int)check(syscall1(SYS_fsync, fd)); }
int fdatasync(int fd) { return (int)check(syscall1(SYS_fdatasync, fd)); }
int ftruncate(int fd, off_t len) { return (int)check(syscall2(SYS_ftruncate, fd, len)); }
int unlink(const char *path) { return (int)check(syscall1(SYS_unlink, (long)path)); }

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    long ret = syscall6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, off);
    return check(ret) == -1 ? MAP_FAILED : (void *)ret;
}

int munmap(void *addr, size_t len) { return (int)check(syscall2(SYS_munmap, (long)addr, (long)len)); }

int mprotect(void *addr, size_t len, int prot)
{
    return (int)check(syscall3(SYS_mprotect, (long)addr, (long)len, prot));
}

int msync(void *addr, size_t len, int flags)
{
    return (int)check(syscall3(SYS_msync, (long)addr, (long)len, flags));
}

void *sys_brk(void *addr) { return (void *)syscall1(SYS_brk, (long)addr); }
int sched_yield(void) { return (int)check(syscall0(SYS_sched_yield)); }

int nanosleep(const struct timespec *req, struct timespec *rem)
{
    return (int)check(syscall2(SYS_nanosleep, (long)req, (long)rem));
}

pid_t getpid(void) { return (pid_t)syscall0(SYS_getpid); }
pid_t gettid(void) { return (pid_t)syscall0(SYS_gettid); }
int uname(struct utsname *u) { return (int)check(syscall1(SYS_uname, (long)u)); }
int arch_prctl(int code, unsigned long addr) { return (int)check(syscall2(SYS_arch_prctl, code, (long)addr)); }
long set_tid_address(int *tidptr) { return syscall1(SYS_set_tid_address, (long)tidptr); }

long futex(int *uaddr, int op, int val, const struct timespec *timeout)
{
    return check(syscall4(SYS_futex, (long)uaddr, op, val, (long)timeout));
}

void exit(int status)
{
    for (;;)
        syscall1(SYS_exit_group, status);
}

void exit_thread(int status)
{
    for (;;)
        syscall1(SYS_exit, status);
}
