/*
 * sysfuzz SEED [CALLS] - a seeded random-syscall guest: CALLS (default 100000) system calls with
 * arguments drawn from values that sit at the edges (0, -1, huge lengths, unaligned and
 * kernel addresses, bad descriptors, offsets near 2^63) and from ordinary ones. It keeps its own
 * code, stack and data out of reach: memory calls only name its arena (or addresses that are
 * not user space), file names come from a small pool, and nothing blocks forever (futex waits
 * carry a timeout, sleeps are short, stdin is not read). Prints a digest of the results, so the
 * same seed gives the same output.
 */
#include "rand.h"
#include "stdio.h"
#include "stdlib.h"
#include "syscall.h"
#include "sys.h"

#define ARENA 0x200000000L
#define ARENA_PAGES 64
#define NFILES 4

/*
 * The state the kernel may write into: calls write at most 1 MiB (pagelab's I/O chunk) past a
 * pointer into the scratch page, so the generator's state sits before it, out of reach.
 */
static struct {
    uint64_t rng;
    char scratch[4096 + (1 << 20) + 4096] __attribute__((aligned(4096)));
} st;
#define rng (st.rng)
#define scratch (st.scratch)

static long pick(const long *v, int n) { return v[rand_below(&rng, n)]; }

static const long edge_values[] = {
    0, 1, -1, 2, 4095, 4096, 4097, 65536, 0x7fffffffL, 0xffffffffL, 0x7fffffffffffffffL,
    (long)0x8000000000000000UL, -4096, 0xfffffffffffff000L, 0x7ffffffff000L, 0x800000000000L,
    0x7ffffffffff0L, 1L << 40, 1L << 50, 1L << 62, 0x7ffffffffffffff0L,
};

/* A length: mostly small, sometimes at an edge. */
static long length(void)
{
    switch (rand_below(&rng, 4)) {
    case 0: return pick(edge_values, sizeof edge_values / sizeof *edge_values);
    case 1: return (long)rand_below(&rng, 3 * 4096);
    default: return (long)(1 + rand_below(&rng, 8)) * 4096;
    }
}

/* An offset into a file: mostly small, sometimes at an edge. */
static long offset(void) { return rand_below(&rng, 3) == 0 ? pick(edge_values, 21) : (long)rand_below(&rng, 40000); }

/* Addresses no memory call may succeed on (never low ones: a huge length from there would reach our code). */
static const long bad_addresses[] = {
    ARENA + 1, ARENA + 4095, 0x7ffffffff000L, 0x800000000000L, (long)0xffff800000000000UL,
    (long)0x8000000000000000UL, -4096, 0xfffffffffffff000L, 0x7fffffffffffffffL,
};

/* An address in the arena (page-aligned or not), or one that is not usable user memory. */
static long arena_address(void)
{
    switch (rand_below(&rng, 6)) {
    case 0: return pick(bad_addresses, sizeof bad_addresses / sizeof *bad_addresses);
    case 1: return ARENA + (long)rand_below(&rng, ARENA_PAGES * 4096);
    default: return ARENA + (long)rand_below(&rng, ARENA_PAGES) * 4096;
    }
}

/* A buffer for the kernel to read or write: the scratch page, the arena, or a bad pointer. */
static long buffer(void)
{
    switch (rand_below(&rng, 5)) {
    case 0: return pick(edge_values, 21);
    case 1: return arena_address();
    default: return (long)scratch + (long)rand_below(&rng, 4096);
    }
}

/* A count that keeps writes into scratch within scratch. */
static long count(void) { return rand_below(&rng, 5) == 0 ? pick(edge_values, 21) : (long)rand_below(&rng, 8192); }

/* A descriptor: mostly the files it opened, sometimes a bad one; never the console (0, 1, 2). */
static long fd(void)
{
    long f = rand_below(&rng, 8) == 0 ? pick(edge_values, 21) : 3 + (long)rand_below(&rng, 6);
    return f >= 0 && f <= 2 ? f + 3 : f;
}

static const char *const names[NFILES + 3] = {"fz0", "fz1", "/fz2", "fz3", "", "no/such/dir", "fz0/x"};

/*
 * Calls that fork, exec, wait, send or wait for signals, make pipes or poll: they are implemented
 * since pagelab runs real programs, and with random arguments they copy this loop into a second
 * process, kill it, or block it for good (which pagelab reports as a deadlock, correctly, but then
 * the 100,000 calls are never made). Their argument checks are tested by their own tests.
 */
static int process_or_signal(long nr)
{
    static const long numbers[] = {7, 13, 14, 15, 22, 23, 34, 37, 38, 56, 57, 58, 59, 61, 62, 130, 200,
                                   232, 234, 247, 270, 271, 281, 293, 322};
    for (unsigned i = 0; i < sizeof numbers / sizeof *numbers; i++)
        if (numbers[i] == nr)
            return 1;
    return 0;
}

static long one_call(int which)
{
    long a = 0;
    switch (which) {
    case 0: return syscall3(SYS_read, fd(), buffer(), count());
    case 1: return syscall3(SYS_write, fd(), buffer(), count());
    case 2: return syscall4(SYS_pread64, fd(), buffer(), count(), offset());
    case 3: return syscall4(SYS_pwrite64, fd(), buffer(), count(), offset());
    case 4: return syscall4(SYS_openat, rand_below(&rng, 8) ? AT_FDCWD : fd(),
                            rand_below(&rng, 10) ? (long)names[rand_below(&rng, NFILES + 3)] : buffer(),
                            (long)rand_below(&rng, 04000), 0644);
    case 5: return syscall1(SYS_close, fd());
    case 6: return syscall3(SYS_lseek, fd(), offset(), (long)rand_below(&rng, 4));
    case 7: return syscall2(SYS_fstat, fd(), buffer());
    case 8: return syscall1(rand_below(&rng, 2) ? SYS_fsync : SYS_fdatasync, fd());
    case 9: return syscall2(SYS_ftruncate, fd(), offset());
    case 10:
        a = arena_address();
        return syscall6(SYS_mmap, a, length(), (long)rand_below(&rng, 9),
                        (long)rand_below(&rng, 4) | (rand_below(&rng, 2) ? 0x20 : 0) | (rand_below(&rng, 4) ? 0x10 : 0),
                        fd(), rand_below(&rng, 4) ? (long)rand_below(&rng, 8) * 4096 : offset());
    case 11: return syscall2(SYS_munmap, arena_address(), length());
    case 12: return syscall3(SYS_mprotect, arena_address(), length(), (long)rand_below(&rng, 9));
    case 13: return syscall3(SYS_msync, arena_address(), length(), (long)rand_below(&rng, 8));
    case 14: return syscall4(SYS_futex, buffer(), (long)rand_below(&rng, 3) | (rand_below(&rng, 2) ? 128 : 0),
                             (long)rand_below(&rng, 3), (long)&(struct timespec){0, 1000});
    case 15: {
        struct timespec ts = {0, (long)rand_below(&rng, 20000)};
        return syscall2(SYS_nanosleep, rand_below(&rng, 6) ? (long)&ts : buffer(), 0);
    }
    case 16: return syscall1(SYS_unlink, rand_below(&rng, 8) ? (long)names[rand_below(&rng, NFILES + 3)] : buffer());
    case 17: return syscall3(SYS_writev, fd(), buffer(), (long)rand_below(&rng, 4) - 1);
    case 18: return syscall2(SYS_arch_prctl, 0x1003 + (long)rand_below(&rng, 2) * 1, buffer());
    case 19: return syscall1(SYS_uname, buffer());
    case 20: return syscall0(SYS_sched_yield);
    default: /* a number pagelab may not implement (never exit, clone, or the brk of our own heap) */
        a = (long)rand_below(&rng, 400);
        if (a == SYS_exit || a == SYS_exit_group || a == SYS_clone || a == SYS_brk || a == SYS_arch_prctl
            || a == SYS_set_tid_address || a == SYS_futex || a == SYS_nanosleep || a == SYS_read
            || a == SYS_mmap || a == SYS_mprotect || a == SYS_munmap || a == SYS_msync || process_or_signal(a))
            a = 399;
        return syscall6(a, fd(), buffer(), count(), 0, 0, 0);
    }
}

int main(int argc, char **argv)
{
    long seed = 1, calls = 100000;
    if (argc < 2 || parse_long(argv[1], &seed) < 0 || (argc > 2 && (parse_long(argv[2], &calls) < 0 || calls < 0)))
        die(2, "usage: sysfuzz SEED [CALLS]");
    rng = rand_init((uint64_t)seed);
    long ok = 0, failed = 0;
    uint64_t digest = 1469598103934665603UL;
    for (long i = 0; i < calls; i++) {
        int which = (int)rand_below(&rng, 22);
        if (argc > 3)
            dprintf(2, "%ld: case %d\n", i, which);
        long r = one_call(which);
        if (r < 0 && r > -4096)
            failed++;
        else
            ok++;
        digest = (digest ^ (uint64_t)(r < 0 && r > -4096 ? r : r != 0)) * 1099511628211UL;
    }
    printf("sysfuzz: seed %ld: %ld calls, %ld succeeded, %ld failed, digest 0x%016lx\n", seed, calls, ok, failed,
           (unsigned long)digest);
    return 0;
}
