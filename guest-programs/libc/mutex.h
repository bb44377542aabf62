/* mutex.h - futex-based mutex (0 unlocked, 1 locked, 2 locked with waiters). */
#ifndef PAGELAB_MUTEX_H
#define PAGELAB_MUTEX_H

typedef struct {
    int state;
} mutex_t;

#define MUTEX_INIT {0}

void mutex_lock(mutex_t *m);
void mutex_unlock(mutex_t *m);

#endif
