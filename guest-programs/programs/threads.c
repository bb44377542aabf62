/* threads [T] [N] - T threads (2..4, default 4) each add 1 to a shared counter N times under a futex mutex. */
#include "mutex.h"
#include "stdio.h"
#include "stdlib.h"
#include "sys.h"
#include "thread.h"

#define MAX_THREADS 4

struct worker {
    long iterations;
    thread_t *seen_self; /* %fs:0 as seen by the thread */
    int seen_tid;        /* gettid() inside the thread */
};

static mutex_t lock = MUTEX_INIT;
static long counter;

static void *work(void *p)
{
    struct worker *w = p;

    w->seen_self = thread_self();
    w->seen_tid = gettid();
    for (long i = 0; i < w->iterations; i++) {
        mutex_lock(&lock);
        counter++;
        mutex_unlock(&lock);
    }
    return w;
}

static long arg_or(int argc, char **argv, int i, long dflt, long lo, long hi)
{
    long v = dflt;

    if (argc > i && (parse_long(argv[i], &v) < 0 || v < lo || v > hi))
        die(2, "usage: threads [THREADS 2..4] [ITERATIONS]");
    return v;
}

/* Each thread must have had its own TCB at %fs:0, its own tid, distinct from the main thread's. */
static void check_threads(thread_t **t, struct worker *w, int n)
{
    if (thread_self()->tid != getpid())
        die(1, "threads: FAIL: main thread TCB tid %d != pid %d", thread_self()->tid, getpid());
    for (int i = 0; i < n; i++) {
        if (w[i].seen_self != t[i])
            die(1, "threads: FAIL: thread %d saw %%fs:0 = %p, expected %p", i, (void *)w[i].seen_self, (void *)t[i]);
        if (w[i].seen_tid == getpid() || w[i].seen_tid <= 0)
            die(1, "threads: FAIL: thread %d has tid %d", i, w[i].seen_tid);
        for (int j = 0; j < i; j++)
            if (w[j].seen_tid == w[i].seen_tid)
                die(1, "threads: FAIL: threads %d and %d share tid %d", j, i, w[i].seen_tid);
    }
}

int main(int argc, char **argv)
{
    int nthreads = (int)arg_or(argc, argv, 1, 4, 2, MAX_THREADS);
    long iterations = arg_or(argc, argv, 2, 10000, 1, 100000000);
    thread_t *t[MAX_THREADS];
    struct worker w[MAX_THREADS];
    void *ret;

    printf("threads: %d threads x %ld increments\n", nthreads, iterations);
    for (int i = 0; i < nthreads; i++) {
        w[i].iterations = iterations;
        if (thread_create(&t[i], work, &w[i]) < 0)
            die(1, "threads: FAIL: thread_create %d failed", i);
    }
    for (int i = 0; i < nthreads; i++)
        if (thread_join(t[i], &ret) < 0 || ret != &w[i])
            die(1, "threads: FAIL: join of thread %d failed", i);
    printf("threads: joined %d threads\n", nthreads);
    check_threads(t, w, nthreads); /* compares addresses only: the TCBs are unmapped now */
    printf("threads: per-thread TLS and tids ok\n");
    printf("threads: total %ld (expected %ld)\n", counter, (long)nthreads * iterations);
    if (counter != (long)nthreads * iterations)
        die(1, "threads: FAIL: lost updates");
    printf("threads: ok\n");
    return 0;
}
