/* race3msync FILE [ROUNDS] - R3 (seed 000): one thread stores through a MAP_SHARED mapping while
 * another msyncs it. Every msync's writeback write-protects the pages (page_mkclean), so the
 * storer's next store faults (do_wp_page); on a kernel without the fix that fault can dirty the
 * pte between writeback's page_mkclean and TestClearPageDirty, and the stores after it reach no
 * later msync. The storer msyncs its own stores at the end of every round. */
#include "mutex.h"
#include "racefmt.h"
#include "stdlib.h"
#include "thread.h"

#define SIZE (2 * 4096)

static unsigned char shadow[SIZE] __attribute__((aligned(8)));
static unsigned char *map;
static long rounds = 8;

static void *syncer(void *arg)
{
    (void)arg;
    for (long r = 0; r < rounds; r++) {
        if (msync(map, SIZE, MS_SYNC) < 0)
            die(1, "race3msync: FAIL: syncer msync failed");
        sched_yield();
    }
    return NULL;
}

int main(int argc, char **argv)
{
    thread_t *t;

    if (argc < 2 || (argc > 2 && (parse_long(argv[2], &rounds) < 0 || rounds < 1 || rounds > 1000)))
        die(2, "usage: race3msync FILE [ROUNDS 1..1000]");
    for (size_t i = 0; i < SIZE; i++)
        shadow[i] = (unsigned char)(i * 5 + 1);
    int fd = race_create("race3msync", argv[1], shadow, SIZE);
    map = race_map("race3msync", fd, SIZE);
    if (thread_create(&t, syncer, NULL) != 0)
        die(1, "race3msync: FAIL: thread_create failed");
    for (long r = 0; r < rounds; r++) {
        for (size_t page = 0; page < SIZE; page += 4096) {
            size_t off = page + (size_t)(r * 64) % 4096;
            map[off] = shadow[off] = (unsigned char)(0x10 + r); /* may fault: page_mkclean ran */
            map[off + 1] = shadow[off + 1] = (unsigned char)(0x20 + r);
        }
        sched_yield();
        map[r % SIZE] = shadow[r % SIZE] = (unsigned char)(0x30 + r); /* after the fault */
        if (msync(map, SIZE, MS_SYNC) < 0)
            die(1, "race3msync: FAIL: msync failed in round %ld", r);
    }
    thread_join(t, NULL);
    if (munmap(map, SIZE) < 0)
        die(1, "race3msync: FAIL: munmap failed");
    race_verify("race3msync", fd, shadow, SIZE);
    close(fd);
    printf("race3msync: %ld rounds of stores through a shared mapping against a concurrent msync, file verified\n",
           rounds);
    return 0;
}
