/* fsx2 FILE [OPS] [SEED] - a two-thread fsx: one thread stores through a MAP_SHARED mapping of
 * pages 0-1 and msyncs; the other pwrites, ftruncates (never below 2 pages, so no store hits a
 * hole and no mapped page is ever a partial last page) and fsyncs. They touch disjoint bytes (the
 * storer even 64-byte slots of pages 0-1, the writer odd slots and pages 2-3), so one shadow copy
 * says what the file must hold. Deterministic for a seed; short enough to be explored. */
#include "racefmt.h"
#include "rand.h"
#include "stdlib.h"
#include "thread.h"

#define MAX (4 * 4096)
#define MAPPED (2 * 4096)

static unsigned char shadow[MAX] __attribute__((aligned(8)));
static long size = MAX; /* written by the writer only, read after the join */
static long ops = 64;
static long seed = 1;
static unsigned char *map;
static int fd;

static void *storer(void *arg)
{
    uint64_t rng = rand_init((uint64_t)seed * 2 + 1);

    (void)arg;
    for (long i = 0; i < ops; i++) {
        size_t slot = (size_t)rand_below(&rng, MAPPED / 128) * 128; /* even 64-byte slots */
        size_t off = slot + (size_t)rand_below(&rng, 60);
        unsigned char v = (unsigned char)rand_next(&rng);
        for (int k = 0; k < 4; k++)
            map[off + k] = shadow[off + k] = (unsigned char)(v + k);
        if (i % 8 == 7 && msync(map, MAPPED, MS_SYNC) < 0)
            die(1, "fsx2: FAIL: msync failed");
    }
    return NULL;
}

static void writer(void)
{
    uint64_t rng = rand_init((uint64_t)seed * 2);

    for (long i = 0; i < ops; i++) {
        unsigned char b[32];
        uint64_t what = rand_below(&rng, 8);
        if (what < 5) { /* pwrite: an odd slot of pages 0-1, or anywhere in pages 2-3 */
            size_t off, len = 1 + (size_t)rand_below(&rng, 32);
            if (what < 2) {
                off = (size_t)rand_below(&rng, MAPPED / 128) * 128 + 64 + (size_t)rand_below(&rng, 64 - 32);
            } else {
                off = MAPPED + (size_t)rand_below(&rng, MAX - MAPPED - 32);
            }
            for (size_t k = 0; k < len; k++)
                b[k] = shadow[off + k] = (unsigned char)rand_next(&rng);
            if (pwrite_all(fd, b, len, (off_t)off) < 0)
                die(1, "fsx2: FAIL: pwrite failed");
            if ((long)(off + len) > size)
                size = (long)(off + len);
        } else if (what < 7) { /* truncate within pages 2-3 */
            long n = MAPPED + (long)rand_below(&rng, MAX - MAPPED + 1);
            if (n < size)
                memset(shadow + n, 0, (size_t)(size - n));
            if (ftruncate(fd, n) < 0)
                die(1, "fsx2: FAIL: ftruncate(%ld) failed", n);
            size = n;
        } else if (fsync(fd) < 0) {
            die(1, "fsx2: FAIL: fsync failed");
        }
        if (i % 4 == 3)
            sched_yield();
    }
}

int main(int argc, char **argv)
{
    thread_t *t;

    if (argc < 2 || (argc > 2 && (parse_long(argv[2], &ops) < 0 || ops < 1 || ops > 100000))
        || (argc > 3 && parse_long(argv[3], &seed) < 0))
        die(2, "usage: fsx2 FILE [OPS 1..100000] [SEED]");
    for (size_t w = 0; w < MAX / 8; w++) /* word by word: few instructions */
        ((uint64_t *)shadow)[w] = (w + 1) * 0x9e3779b97f4a7c15ULL;
    fd = race_create("fsx2", argv[1], shadow, MAX);
    map = race_map("fsx2", fd, MAPPED);
    if (thread_create(&t, storer, NULL) != 0)
        die(1, "fsx2: FAIL: thread_create failed");
    writer();
    thread_join(t, NULL);
    if (msync(map, MAPPED, MS_SYNC) < 0 || munmap(map, MAPPED) < 0)
        die(1, "fsx2: FAIL: msync/munmap failed");
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size != size)
        die(1, "fsx2: FAIL: size %ld, expected %ld", (long)st.st_size, size);
    race_verify("fsx2", fd, shadow, (size_t)size);
    close(fd);
    printf("fsx2: %ld stores+msyncs against %ld pwrite/ftruncate/fsync ops, seed %ld, final size %ld, file verified\n",
           ops, ops, seed, size);
    return 0;
}
