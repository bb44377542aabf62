/* sys.h - types, constants and wrappers for the Linux syscalls pagelab allows. */
#ifndef PAGELAB_SYS_H
#define PAGELAB_SYS_H

#include <stddef.h>
#include <stdint.h>

typedef long ssize_t;
typedef long off_t;
typedef int pid_t;
typedef unsigned int mode_t;

#define STDIN_FILENO  0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

#define AT_FDCWD (-100)
#define O_RDONLY 0
#define O_WRONLY 01
#define O_RDWR   02
#define O_CREAT  0100
#define O_EXCL   0200
#define O_TRUNC  01000
#define O_APPEND 02000

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

#define PROT_NONE  0
#define PROT_READ  1
#define PROT_WRITE 2
#define PROT_EXEC  4
#define MAP_SHARED    0x01
#define MAP_PRIVATE   0x02
#define MAP_FIXED     0x10
#define MAP_ANONYMOUS 0x20
#define MAP_FAILED ((void *)-1)
#define MS_ASYNC      1
#define MS_INVALIDATE 2
#define MS_SYNC       4

#define PAGE_SIZE 4096UL

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128

#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003

#define CLONE_VM             0x00000100
#define CLONE_FS             0x00000200
#define CLONE_FILES          0x00000400
#define CLONE_SIGHAND        0x00000800
#define CLONE_THREAD         0x00010000
#define CLONE_SYSVSEM        0x00040000
#define CLONE_SETTLS         0x00080000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000

/* Kernel layout of struct stat on x86-64 (144 bytes). */
struct stat {
    uint64_t st_dev;
    uint64_t st_ino;
    uint64_t st_nlink;
    uint32_t st_mode;
    uint32_t st_uid;
    uint32_t st_gid;
    int32_t __pad0;
    uint64_t st_rdev;
    int64_t st_size;
    int64_t st_blksize;
    int64_t st_blocks;
    uint64_t st_atime_sec, st_atime_nsec;
    uint64_t st_mtime_sec, st_mtime_nsec;
    uint64_t st_ctime_sec, st_ctime_nsec;
    int64_t __unused[3];
};

struct iovec {
    void *iov_base;
    size_t iov_len;
};

struct timespec {
    long tv_sec;
    long tv_nsec;
};

struct utsname {
    char sysname[65];
    char nodename[65];
    char release[65];
    char version[65];
    char machine[65];
    char domainname[65];
};

/* All wrappers return -1 and set errno on failure (mmap returns MAP_FAILED). */
ssize_t read(int fd, void *buf, size_t n);
ssize_t write(int fd, const void *buf, size_t n);
ssize_t pread(int fd, void *buf, size_t n, off_t off);
ssize_t pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t writev(int fd, const struct iovec *iov, int iovcnt);
int openat(int dirfd, const char *path, int flags, mode_t mode);
int open(const char *path, int flags, mode_t mode);
int close(int fd);
int fstat(int fd, struct stat *st);
off_t lseek(int fd, off_t off, int whence);
int fsync(int fd);
int fdatasync(int fd);
int ftruncate(int fd, off_t len);
int unlink(const char *path);
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int munmap(void *addr, size_t len);
int mprotect(void *addr, size_t len, int prot);
int msync(void *addr, size_t len, int flags);
void *sys_brk(void *addr); /* raw: returns the new (or unchanged) break, never fails */
int sched_yield(void);
int nanosleep(const struct timespec *req, struct timespec *rem);
pid_t getpid(void);
pid_t gettid(void);
int uname(struct utsname *u);
int arch_prctl(int code, unsigned long addr);
long set_tid_address(int *tidptr);
long futex(int *uaddr, int op, int val, const struct timespec *timeout);
__attribute__((noreturn)) void exit(int status);        /* exit_group */
__attribute__((noreturn)) void exit_thread(int status); /* exit (this thread only) */

#endif
