/* thread.h - clone()-based threads with a per-thread control block reachable at %fs:0. */
#ifndef PAGELAB_THREAD_H
#define PAGELAB_THREAD_H

#include <stddef.h>

/* Thread control block; %fs points here (so %fs:0 holds `self`). */
typedef struct thread {
    struct thread *self;
    int tid;                /* set by the kernel at clone, cleared + futex-woken at thread exit */
    void *(*fn)(void *);
    void *arg;
    void *ret;
    void *map;              /* stack + TCB mapping */
    size_t map_size;
} thread_t;

void thread_init_main(void);                      /* called by crt0 */
int thread_create(thread_t **out, void *(*fn)(void *), void *arg);
int thread_join(thread_t *t, void **ret);         /* waits, then frees the stack */
thread_t *thread_self(void);

#endif
