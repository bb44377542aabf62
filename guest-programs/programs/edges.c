/*
 * edges [FILE] - syscalls at the edges of their arguments, one line each: "name: result" where
 * result is a number or -ERRNO as the kernel returned it (raw syscalls, no libc errno).
 * The lines are what Linux 2.6 returns for the same calls (on a filesystem whose largest file is
 * smaller than 2^62), so the program's output is the test's expectation.
 */
#include "stdio.h"
#include "string.h"
#include "syscall.h"
#include "sys.h"

static const char *errname(long r)
{
    switch (-r) {
    case 5: return "EIO";
    case 9: return "EBADF";
    case 12: return "ENOMEM";
    case 14: return "EFAULT";
    case 22: return "EINVAL";
    case 27: return "EFBIG";
    case 28: return "ENOSPC";
    case 29: return "ESPIPE";
    case 38: return "ENOSYS";
    case 75: return "EOVERFLOW";
    default: return "E?";
    }
}

static void show(const char *name, long r)
{
    if (r < 0 && r > -4096)
        printf("%s: -%s\n", name, errname(r));
    else
        printf("%s: %s\n", name, r == 0 ? "0" : "ok");
}

#define HUGE_LEN 0xfffffffffffff000L
#define NEAR_2_63 0x7ffffffffffffff0L

int main(int argc, char **argv)
{
    const char *file = argc > 1 ? argv[1] : "edges.dat";
    long p = syscall6(SYS_mmap, 0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p < 0)
        die(1, "edges: mmap failed");

    show("mprotect huge length", syscall3(SYS_mprotect, p, HUGE_LEN, PROT_READ));
    show("mprotect length -4096", syscall3(SYS_mprotect, p, -4096L, PROT_READ));
    show("mprotect length -1", syscall3(SYS_mprotect, p, -1L, PROT_READ));
    show("munmap huge length", syscall2(SYS_munmap, p, HUGE_LEN));
    show("munmap length -1", syscall2(SYS_munmap, p, -1L));
    show("mmap fixed huge length", syscall6(SYS_mmap, p, HUGE_LEN, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                                            -1, 0));
    show("mmap length -1", syscall6(SYS_mmap, 0, -1L, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    show("mmap fixed past the top", syscall6(SYS_mmap, 0x7ffffffff000L, 2 * PAGE_SIZE, PROT_READ,
                                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    show("msync length -4096", syscall3(SYS_msync, p, -4096L, MS_SYNC));
    show("msync huge length", syscall3(SYS_msync, p, HUGE_LEN, MS_ASYNC));
    show("mprotect still works", syscall3(SYS_mprotect, p, PAGE_SIZE, PROT_READ));

    long fd = syscall4(SYS_openat, AT_FDCWD, (long)file, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die(1, "edges: cannot create %s", file);
    char buf[16] = "0123456789abcdef";
    show("write 16", syscall3(SYS_write, fd, (long)buf, 16));
    show("pread offset+count overflows", syscall4(SYS_pread64, fd, (long)buf, 16, NEAR_2_63));
    show("pwrite offset+count overflows", syscall4(SYS_pwrite64, fd, (long)buf, 16, NEAR_2_63));
    show("pread negative offset", syscall4(SYS_pread64, fd, (long)buf, 16, -1L));
    show("pwrite at 2^50", syscall4(SYS_pwrite64, fd, (long)buf, 16, 1L << 50));
    show("ftruncate 2^62", syscall2(SYS_ftruncate, fd, 1L << 62));
    show("ftruncate 2^63-1", syscall2(SYS_ftruncate, fd, 0x7fffffffffffffffL));
    show("ftruncate -1", syscall2(SYS_ftruncate, fd, -1L));
    show("lseek near 2^63", syscall3(SYS_lseek, fd, NEAR_2_63, SEEK_SET));
    show("lseek cur overflow", syscall3(SYS_lseek, fd, 0x7fffffffffffffffL, SEEK_CUR));
    show("write after lseek", syscall3(SYS_write, fd, (long)buf, 16));
    show("fsync", syscall1(SYS_fsync, fd));
    struct stat st;
    syscall2(SYS_fstat, fd, (long)&st);
    printf("size: %ld\n", st.st_size);
    syscall1(SYS_close, fd);
    puts("edges: done");
    return 0;
}
