/* glibc-threads: a glibc (gcc -static) program with threads, stdio, doubles and a shared mapping.
 * Its output is deterministic and the same natively and under pagelab.
 *   - prints pi with %.6f and a few libm results;
 *   - two threads sum the same SSE series, one rounding toward zero, one upward, and one of them
 *     an x87 long double series too, interleaved by the scheduler: each must get exactly the
 *     result it gets alone (a leaked MXCSR or x87 stack changes the digits);
 *   - a MAP_SHARED anonymous mapping written by the threads and read back by main;
 *   - a file written with fopen/fprintf, read back with fgets. */
#include <fenv.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define N 200000

static double *shared;

static void *sse_series(void *arg) {
    (void)arg;
    fesetround(FE_TOWARDZERO);
    double s = 0;
    for (int i = 1; i <= N; i++) {
        s += 1.0 / ((double)i * i);
    }
    fesetround(FE_TONEAREST);
    shared[0] = s;
    return NULL;
}

static void *x87_series(void *arg) {
    (void)arg;
    fesetround(FE_UPWARD);
    double up = 0;
    for (int i = 1; i <= N; i++) {
        up += 1.0 / ((double)i * i);
    }
    fesetround(FE_TONEAREST);
    shared[2] = up;
    long double s = 0;
    for (int i = 0; i < N; i++) {
        s += (i % 2 ? -4.0L : 4.0L) / (2.0L * i + 1);
    }
    shared[1] = (double)s;
    return NULL;
}

int main(void) {
    printf("pi %.6f\n", M_PI);
    printf("sqrt(2) %.15f exp(1) %.15f\n", sqrt(2.0), exp(1.0));
    shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    pthread_t a, b;
    if (pthread_create(&a, NULL, sse_series, NULL) || pthread_create(&b, NULL, x87_series, NULL)) {
        fprintf(stderr, "pthread_create failed\n");
        return 1;
    }
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("sum 1/i^2 (toward zero) %.17g\n", shared[0]);
    printf("sum 1/i^2 (upward) %.17g\n", shared[2]);
    printf("leibniz (x87) %.17g\n", shared[1]);
    FILE *f = fopen("glibc-threads.txt", "w");
    if (!f) {
        perror("fopen");
        return 1;
    }
    fprintf(f, "%.10f\n", shared[0] * 6);
    fclose(f);
    char line[64];
    f = fopen("glibc-threads.txt", "r");
    if (!f || !fgets(line, sizeof line, f)) {
        perror("reopen");
        return 1;
    }
    fclose(f);
    printf("file says %s", line);
    unlink("glibc-threads.txt");
    printf("ok\n");
    return 0;
}
