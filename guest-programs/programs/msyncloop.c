/*
 * msyncloop FILE [N] - two threads on one shared file mapping: the storer writes N values (default
 * 200) into the first bytes of the mapping, one store after another; the syncer calls
 * msync(MS_SYNC) in a loop until the storer is done, then once more. Checks with pread that the file
 * holds the last value. Needs a fair scheduler: a thread that makes system calls all the time must
 * not keep the CPU from the other (Linux's timer tick). Exits 0 when the file is right.
 */
#include "stdio.h"
#include "stdlib.h"
#include "sys.h"
#include "thread.h"

#define SIZE 4096

static volatile long *word;
static volatile int done;
static long n = 200;
static long syncs;

static void *storer(void *unused)
{
    (void)unused;
    for (long i = 1; i <= n; i++)
        word[0] = i;
    done = 1;
    return 0;
}

static void *syncer(void *unused)
{
    (void)unused;
    while (!done) {
        if (msync((void *)word, SIZE, MS_SYNC) < 0)
            die(1, "msyncloop: FAIL: msync failed");
        syncs++;
    }
    return 0;
}

int main(int argc, char **argv)
{
    thread_t *a, *b;
    long got = 0;

    if (argc < 2 || (argc > 2 && (parse_long(argv[2], &n) < 0 || n < 1)))
        die(2, "usage: msyncloop FILE [N]");
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ftruncate(fd, SIZE) < 0)
        die(2, "msyncloop: cannot create %s", argv[1]);
    word = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (word == MAP_FAILED)
        die(1, "msyncloop: FAIL: mmap failed");
    if (thread_create(&b, syncer, 0) < 0 || thread_create(&a, storer, 0) < 0)
        die(2, "msyncloop: thread_create failed");
    thread_join(a, 0);
    thread_join(b, 0);
    if (msync((void *)word, SIZE, MS_SYNC) < 0)
        die(1, "msyncloop: FAIL: final msync failed");
    if (pread(fd, &got, sizeof got, 0) != sizeof got)
        die(1, "msyncloop: FAIL: pread failed");
    printf("msyncloop: %ld stores, the syncer ran %s\n", n, syncs > 0 ? "beside them" : "after them");
    if (got != n)
        die(1, "msyncloop: FAIL: file holds %ld, last store was %ld", got, n);
    printf("msyncloop: ok\n");
    return 0;
}
