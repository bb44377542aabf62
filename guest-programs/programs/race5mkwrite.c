/* race5mkwrite FILE [ROUNDS] - R5 (seed 001): the ->page_mkwrite window against writeback and
 * against truncate/extend. Run it with the delayed-allocation filesystem (--fs delalloc, the
 * 2.6.30 default): every first store to a clean page faults into ->page_mkwrite, which reserves
 * the page's blocks. One thread stores into pages 0-2 (each store after an msync faults again);
 * another msyncs, and between the storer's visits truncates the file to 2 pages and extends it
 * back to 3 (page 2 is dropped and comes back as a fresh page; page-aligned, so no partial last
 * page is left mapped while i_size grows, the 3.18 bug kept out of the seed matrix). Before
 * 2.6.30 writeback can write the page between ->page_mkwrite and the fault's set_page_dirty:
 * the page is dirtied again without its reservation. */
#include "mutex.h"
#include "racefmt.h"
#include "stdlib.h"
#include "thread.h"

#define PAGES 3
#define SIZE (PAGES * 4096)

static unsigned char shadow[SIZE] __attribute__((aligned(8)));
static unsigned char *map;
static long rounds = 6;
static mutex_t last_page = MUTEX_INIT; /* page 2 exists while held (no SIGBUS) */

static void *other(void *arg)
{
    int fd = *(int *)arg;

    for (long r = 0; r < rounds; r++) {
        if (msync(map, SIZE, MS_SYNC) < 0)
            die(1, "race5mkwrite: FAIL: msync failed");
        mutex_lock(&last_page);
        if (ftruncate(fd, 2 * 4096) < 0 || ftruncate(fd, SIZE) < 0)
            die(1, "race5mkwrite: FAIL: ftruncate failed");
        memset(shadow + 2 * 4096, 0, 4096); /* the extension reads as zeros */
        mutex_unlock(&last_page);
        sched_yield();
    }
    return NULL;
}

int main(int argc, char **argv)
{
    thread_t *t;

    if (argc < 2 || (argc > 2 && (parse_long(argv[2], &rounds) < 0 || rounds < 1 || rounds > 1000)))
        die(2, "usage: race5mkwrite FILE [ROUNDS 1..1000]");
    for (size_t i = 0; i < SIZE; i++)
        shadow[i] = (unsigned char)(i * 3 + 9);
    int fd = race_create("race5mkwrite", argv[1], shadow, SIZE);
    map = race_map("race5mkwrite", fd, SIZE);
    if (thread_create(&t, other, &fd) != 0)
        die(1, "race5mkwrite: FAIL: thread_create failed");
    for (long r = 0; r < rounds; r++) {
        for (size_t page = 0; page < 2 * 4096; page += 4096)
            map[page + (size_t)r * 8] = shadow[page + (size_t)r * 8] = (unsigned char)(0x60 + r);
        mutex_lock(&last_page);
        map[2 * 4096 + (size_t)r] = shadow[2 * 4096 + (size_t)r] = (unsigned char)(0xa0 + r);
        mutex_unlock(&last_page);
        sched_yield();
        if (msync(map, SIZE, MS_SYNC) < 0)
            die(1, "race5mkwrite: FAIL: msync failed in round %ld", r);
    }
    thread_join(t, NULL);
    if (munmap(map, SIZE) < 0)
        die(1, "race5mkwrite: FAIL: munmap failed");
    race_verify("race5mkwrite", fd, shadow, SIZE);
    close(fd);
    printf("race5mkwrite: %ld rounds of page_mkwrite faults against msync and truncate/extend, file verified\n",
           rounds);
    return 0;
}
