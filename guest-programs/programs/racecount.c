/*
 * racecount [N] - a known atomicity bug in user code, for the explorer: two threads each add 1 to
 * a shared counter N times (default 2) with an unlocked load, add, store. Run alone, one thread
 * finishes before the other starts and the total is 2N; a preemption between one thread's load
 * and its store loses the other thread's increments. Exits 1 when an update was lost.
 */
#include "stdio.h"
#include "stdlib.h"
#include "thread.h"

static volatile long counter;

static void *work(void *p)
{
    long n = (long)p;

    for (long i = 0; i < n; i++) {
        long v = counter; /* load */
        counter = v + 1;  /* store: not atomic with the load */
    }
    return 0;
}

int main(int argc, char **argv)
{
    long n = 2;
    thread_t *a, *b;

    if (argc > 1 && (parse_long(argv[1], &n) < 0 || n < 1 || n > 1000000))
        die(2, "usage: racecount [N 1..1000000]");
    if (thread_create(&a, work, (void *)n) < 0 || thread_create(&b, work, (void *)n) < 0)
        die(2, "racecount: thread_create failed");
    thread_join(a, 0);
    thread_join(b, 0);
    printf("racecount: total %ld (expected %ld)\n", counter, 2 * n);
    if (counter != 2 * n) {
        printf("racecount: FAIL: %ld updates lost\n", 2 * n - counter);
        return 1;
    }
    printf("racecount: ok\n");
    return 0;
}
