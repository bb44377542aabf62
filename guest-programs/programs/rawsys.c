/* rawsys [FILE] - libc-free program: own _start and inline syscalls; shared-mapping store, read back. */

#define SYS_read 0
#define SYS_write 1
#define SYS_close 3
#define SYS_mmap 9
#define SYS_munmap 11
#define SYS_msync 26
#define SYS_ftruncate 77
#define SYS_exit_group 231
#define SYS_openat 257

#define AT_FDCWD (-100)
#define O_RDONLY 0
#define O_RDWR 02
#define O_CREAT 0100
#define O_TRUNC 01000
#define PROT_RW 3
#define MAP_SHARED 1
#define MS_SYNC 4
#define FILE_SIZE 8192

static const char message[] = "rawsys: hello from a MAP_SHARED page\n";
static const char ok[] = "rawsys: ok\n";
static char readback[sizeof(message)];

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;

    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

static long sys3(long n, long a, long b, long c) { return sys6(n, a, b, c, 0, 0, 0); }

static __attribute__((noreturn)) void quit(int status)
{
    for (;;)
        sys3(SYS_exit_group, status, 0, 0);
}

static void say(const char *s, long n) { sys3(SYS_write, 1, (long)s, n); }

static void fail(const char *s, long n)
{
    say(s, n);
    quit(1);
}

#define FAIL(msg) fail(msg, sizeof(msg) - 1)

__attribute__((noreturn, used)) void rawsys_main(long *sp)
{
    const char *path = sp[0] > 1 ? (const char *)sp[2] : "rawsys.dat";
    long fd = sys6(SYS_openat, AT_FDCWD, (long)path, O_RDWR | O_CREAT | O_TRUNC, 0644, 0, 0);

    if (fd < 0)
        FAIL("rawsys: FAIL: open\n");
    if (sys3(SYS_ftruncate, fd, FILE_SIZE, 0) < 0)
        FAIL("rawsys: FAIL: ftruncate\n");
    long map = sys6(SYS_mmap, 0, FILE_SIZE, PROT_RW, MAP_SHARED, fd, 0);
    if (map < 0 && map > -4096)
        FAIL("rawsys: FAIL: mmap\n");
    volatile char *p = (volatile char *)map;
    for (unsigned long i = 0; i < sizeof(message) - 1; i++)
        p[i] = message[i];
    if (sys3(SYS_msync, map, FILE_SIZE, MS_SYNC) < 0 || sys3(SYS_munmap, map, FILE_SIZE, 0) < 0)
        FAIL("rawsys: FAIL: msync/munmap\n");
    sys3(SYS_close, fd, 0, 0);

    fd = sys6(SYS_openat, AT_FDCWD, (long)path, O_RDONLY, 0, 0, 0);
    if (fd < 0)
        FAIL("rawsys: FAIL: reopen\n");
    long n = sys3(SYS_read, fd, (long)readback, sizeof(message) - 1);
    if (n != sizeof(message) - 1)
        FAIL("rawsys: FAIL: short read\n");
    sys3(SYS_close, fd, 0, 0);
    say(readback, n);
    say(ok, sizeof(ok) - 1);
    quit(0);
}

/* Entry: rsp -> argc, argv[0], argv[1], ...; pass that pointer on a 16-byte aligned stack. */
__asm__(".text\n"
        ".global _start\n"
        ".type _start, @function\n"
        "_start:\n"
        "    xor %ebp, %ebp\n"
        "    mov %rsp, %rdi\n"
        "    and $-16, %rsp\n"
        "    call rawsys_main\n"
        "    hlt\n"
        ".size _start, . - _start\n");
