/* racefmt.h - shared helpers of the five seed-race scenarios (race1fsync .. race5mkwrite). */
#ifndef PAGELAB_RACEFMT_H
#define PAGELAB_RACEFMT_H

#include "stdio.h"
#include "string.h"
#include "sys.h"

/* Lets virtual time pass without running instructions: the kernel threads (journal every 0.5 ms,
 * flusher every 2 ms, pages older than 1 ms) get their turn. Natively just a short sleep. */
static inline void race_nap(long us)
{
    struct timespec ts = {0, us * 1000};

    nanosleep(&ts, NULL);
}

/* A file of n bytes holding `shadow`, created with write() and fsync'd so its blocks are allocated. */
static inline int race_create(const char *prog, const char *path, const unsigned char *shadow, size_t n)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

    if (fd < 0)
        die(2, "%s: cannot create %s", prog, path);
    if (write_all(fd, shadow, n) < 0 || fsync(fd) < 0)
        die(1, "%s: FAIL: initial write+fsync failed", prog);
    return fd;
}

static inline unsigned char *race_map(const char *prog, int fd, size_t n)
{
    unsigned char *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

    if (m == MAP_FAILED)
        die(1, "%s: FAIL: mmap failed", prog);
    return m;
}

/* Whether a and b (8-byte aligned, n a multiple of 8) are equal: word by word, few instructions. */
static inline int race_same(const void *a, const void *b, size_t n)
{
    const uint64_t *x = a, *y = b;

    for (size_t i = 0; i < n / 8; i++)
        if (x[i] != y[i])
            return 0;
    return 1;
}

/* The file (read back through read(), i.e. the page cache) must equal `want`. */
static inline void race_verify(const char *prog, int fd, const unsigned char *want, size_t n)
{
    static unsigned char got[4 * 4096] __attribute__((aligned(8)));

    if (n > sizeof(got) || pread_full(fd, got, n, 0) != (ssize_t)n)
        die(1, "%s: FAIL: short pread", prog);
    size_t i = 0;
    if (race_same(got, want, n & ~(size_t)7))
        i = n & ~(size_t)7; /* only the tail is left to compare byte by byte */
    for (; i < n; i++)
        if (got[i] != want[i])
            die(1, "%s: FAIL: offset %zu: expected 0x%02x, found 0x%02x", prog, i, want[i], got[i]);
}

#endif
