/* race4mprotect FILE [ROUNDS] - R4 (seed 004): mprotect flipping the protection of a dirty shared
 * mapping while writeback runs. change_pte_range rewrites every present pte as clear-then-set
 * under the pte lock (a dirty one comes back writable); on a kernel without the fix writeback's
 * page_mkclean peeks without the lock, sees the pte not present and skips it, then
 * TestClearPageDirty leaves a writable dirty pte over a clean page. A second thread msyncs. */
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
            die(1, "race4mprotect: FAIL: syncer msync failed");
        sched_yield();
    }
    return NULL;
}

static void protect(int prot, long r)
{
    if (mprotect(map, SIZE, prot) < 0)
        die(1, "race4mprotect: FAIL: mprotect(%d) failed in round %ld", prot, r);
}

int main(int argc, char **argv)
{
    thread_t *t;

    if (argc < 2 || (argc > 2 && (parse_long(argv[2], &rounds) < 0 || rounds < 1 || rounds > 1000)))
        die(2, "usage: race4mprotect FILE [ROUNDS 1..1000]");
    for (size_t i = 0; i < SIZE; i++)
        shadow[i] = (unsigned char)(i * 11 + 7);
    int fd = race_create("race4mprotect", argv[1], shadow, SIZE);
    map = race_map("race4mprotect", fd, SIZE);
    if (thread_create(&t, syncer, NULL) != 0)
        die(1, "race4mprotect: FAIL: thread_create failed");
    for (long r = 0; r < rounds; r++) {
        for (size_t page = 0; page < SIZE; page += 4096)
            map[page + (size_t)r] = shadow[page + (size_t)r] = (unsigned char)(0x50 + r); /* dirty */
        protect(PROT_READ | PROT_WRITE, r); /* same protection: every pte still rewritten */
        sched_yield();
        protect(PROT_READ, r);
        protect(PROT_READ | PROT_WRITE, r);
        map[r] = shadow[r] = (unsigned char)(0x90 + r);
        if (msync(map, SIZE, MS_SYNC) < 0)
            die(1, "race4mprotect: FAIL: msync failed in round %ld", r);
    }
    thread_join(t, NULL);
    if (munmap(map, SIZE) < 0)
        die(1, "race4mprotect: FAIL: munmap failed");
    race_verify("race4mprotect", fd, shadow, SIZE);
    close(fd);
    printf("race4mprotect: %ld rounds of mprotect flips on a dirty shared mapping against msync, file verified\n",
           rounds);
    return 0;
}
