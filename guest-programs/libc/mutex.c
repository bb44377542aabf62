/* mutex.c - futex mutex after Drepper's "Futexes Are Tricky" (mutex3); uses shared futex ops. */
#include "mutex.h"
#include "sys.h"

void mutex_lock(mutex_t *m)
{
    int c = 0;

    if (__atomic_compare_exchange_n(&m->state, &c, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return; /* uncontended: no syscall */
    if (c != 2)
        c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
    while (c != 0) {
        futex(&m->state, FUTEX_WAIT, 2, NULL);
        c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
    }
}

void mutex_unlock(mutex_t *m)
{
    if (__atomic_fetch_sub(&m->state, 1, __ATOMIC_RELEASE) != 1) {
        __atomic_store_n(&m->state, 0, __ATOMIC_RELEASE);
        futex(&m->state, FUTEX_WAKE, 1, NULL);
    }
}
