/* syscall.h - Linux x86-64 syscall numbers and raw `syscall` instruction wrappers. */
#ifndef PAGELAB_SYSCALL_H
#define PAGELAB_SYSCALL_H

/* The only syscalls pagelab guest programs may use. */
#define SYS_read            0
#define SYS_write           1
#define SYS_close           3
#define SYS_fstat           5
#define SYS_lseek           8
#define SYS_mmap            9
#define SYS_mprotect        10
#define SYS_munmap          11
#define SYS_brk             12
#define SYS_pread64         17
#define SYS_pwrite64        18
#define SYS_writev          20
#define SYS_sched_yield     24
#define SYS_msync           26
#define SYS_nanosleep       35
#define SYS_getpid          39
#define SYS_clone           56
#define SYS_exit            60
#define SYS_uname           63
#define SYS_fsync           74
#define SYS_fdatasync       75
#define SYS_ftruncate       77
#define SYS_unlink          87
#define SYS_arch_prctl      158
#define SYS_gettid          186
#define SYS_futex           202
#define SYS_set_tid_address 218
#define SYS_exit_group      231
#define SYS_openat          257

/* Arguments go in rdi, rsi, rdx, r10, r8, r9; the kernel clobbers rcx and r11. */
static inline long syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

static inline long syscall0(long n) { return syscall6(n, 0, 0, 0, 0, 0, 0); }
static inline long syscall1(long n, long a1) { return syscall6(n, a1, 0, 0, 0, 0, 0); }
static inline long syscall2(long n, long a1, long a2) { return syscall6(n, a1, a2, 0, 0, 0, 0); }
static inline long syscall3(long n, long a1, long a2, long a3) { return syscall6(n, a1, a2, a3, 0, 0, 0); }
static inline long syscall4(long n, long a1, long a2, long a3, long a4)
{
    return syscall6(n, a1, a2, a3, a4, 0, 0);
}

#endif
