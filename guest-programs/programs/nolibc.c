/* nolibc [ARGS...] - libc-free program using only the syscalls of pagelab's process half: write,
 * writev, mmap, munmap, mprotect, brk, uname, getpid, gettid, exit_group (plus an unknown number,
 * which must give -ENOSYS, and a wild pointer, which must give -EFAULT). Its output is the same
 * natively and under pagelab, so the two can be compared byte for byte. */

#define SYS_write 1
#define SYS_mmap 9
#define SYS_mprotect 10
#define SYS_munmap 11
#define SYS_brk 12
#define SYS_writev 20
#define SYS_getpid 39
#define SYS_uname 63
#define SYS_gettid 186
#define SYS_exit_group 231

#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20
#define PAGES 3
#define PAGE 4096

struct iovec { const void *base; unsigned long len; };

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

static unsigned long length(const char *s)
{
    unsigned long n = 0;
    while (s[n])
        n++;
    return n;
}

static void say(const char *s)
{
    sys6(SYS_write, 1, (long)s, (long)length(s), 0, 0, 0);
}

/* Prints "label value\n" with value in decimal. */
static void say_number(const char *label, unsigned long v)
{
    char buf[24];
    int i = sizeof(buf);
    buf[--i] = '\n';
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    say(label);
    sys6(SYS_write, 1, (long)(buf + i), sizeof(buf) - i, 0, 0, 0);
}

static void fail(const char *what)
{
    say("nolibc: FAIL: ");
    say(what);
    say("\n");
    sys6(SYS_exit_group, 1, 0, 0, 0, 0, 0);
}

static void check_uname(void)
{
    char uts[6 * 65];
    if (sys6(SYS_uname, (long)uts, 0, 0, 0, 0, 0) != 0)
        fail("uname");
    say("nolibc: uname sysname=");
    say(uts);
    say(" machine=");
    say(uts + 4 * 65);
    say("\n");
}

/* mmap three anonymous pages, fill and sum them, make them read-only, unmap. */
static void check_mmap(void)
{
    unsigned char *p = (unsigned char *)sys6(SYS_mmap, 0, PAGES * PAGE, PROT_READ | PROT_WRITE,
                                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned long sum = 0;
    if ((long)p < 0)
        fail("mmap");
    for (unsigned long i = 0; i < PAGES * PAGE; i++)
        p[i] = (unsigned char)(i * 13 + 7);
    for (unsigned long i = 0; i < PAGES * PAGE; i++)
        sum += p[i];
    if (sys6(SYS_mprotect, (long)p, PAGES * PAGE, PROT_READ, 0, 0, 0) != 0)
        fail("mprotect");
    if (p[PAGE + 1] != (unsigned char)((PAGE + 1) * 13 + 7))
        fail("read after mprotect");
    if (sys6(SYS_munmap, (long)p, PAGES * PAGE, 0, 0, 0, 0) != 0)
        fail("munmap");
    say_number("nolibc: mmap checksum ", sum);
}

static void check_brk(void)
{
    long base = sys6(SYS_brk, 0, 0, 0, 0, 0, 0);
    long grown = sys6(SYS_brk, base + 2 * PAGE, 0, 0, 0, 0, 0);
    if (grown != base + 2 * PAGE)
        fail("brk grow");
    ((volatile char *)base)[2 * PAGE - 1] = 1;
    if (sys6(SYS_brk, base, 0, 0, 0, 0, 0) != base)
        fail("brk shrink");
    say("nolibc: brk grew and shrank by 2 pages\n");
}

static void check_writev(void)
{
    struct iovec iov[2] = {{"nolibc: writev ", 15}, {"of two buffers\n", 15}};
    if (sys6(SYS_writev, 1, (long)iov, 2, 0, 0, 0) != 30)
        fail("writev");
}

__attribute__((used)) static void nolibc_main(long *sp)
{
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    say_number("nolibc: argc ", (unsigned long)argc);
    for (long i = 1; i < argc; i++) {
        say("nolibc: arg ");
        say(argv[i]);
        say("\n");
    }
    check_uname();
    check_mmap();
    check_brk();
    check_writev();
    if (sys6(SYS_getpid, 0, 0, 0, 0, 0, 0) <= 0 || sys6(SYS_gettid, 0, 0, 0, 0, 0, 0) <= 0)
        fail("getpid/gettid");
    say_number("nolibc: unknown syscall 999 returns -", (unsigned long)-sys6(999, 0, 0, 0, 0, 0, 0));
    say_number("nolibc: write from a wild pointer returns -", (unsigned long)-sys6(SYS_write, 1, 8, 5, 0, 0, 0));
    say("nolibc: ok\n");
    sys6(SYS_exit_group, 0, 0, 0, 0, 0, 0);
}

__asm__(".text\n"
        ".global _start\n"
        ".type _start, @function\n"
        "_start:\n"
        "    xor %ebp, %ebp\n"
        "    mov %rsp, %rdi\n"
        "    and $-16, %rsp\n"
        "    call nolibc_main\n"
        "    hlt\n"
        ".size _start, . - _start\n");
