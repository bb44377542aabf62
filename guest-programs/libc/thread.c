/* thread.c - thread create/join over clone(CLONE_THREAD|CLONE_SETTLS|...) and the child-tid futex. */
#include "thread.h"
#include "errno.h"
#include "sys.h"

#define THREAD_STACK_SIZE (64 * 1024UL)
#define THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | \
                      CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

/* clone.S: runs entry(arg) on `stack` in the child; returns the child tid or -errno in the parent. */
long clone_thread(unsigned long flags, void *stack, int *ptid, int *ctid, void *tls,
                  void (*entry)(void *), void *arg);

static thread_t main_thread;

void thread_init_main(void)
{
    main_thread.self = &main_thread;
    main_thread.tid = (int)set_tid_address(&main_thread.tid);
    arch_prctl(ARCH_SET_FS, (unsigned long)&main_thread);
}

thread_t *thread_self(void)
{
    thread_t *t;

    __asm__("mov %%fs:0, %0" : "=r"(t));
    return t;
}

__attribute__((noreturn)) static void thread_entry(void *p)
{
    thread_t *t = p;

    t->ret = t->fn(t->arg);
    exit_thread(0);
}

int thread_create(thread_t **out, void *(*fn)(void *), void *arg)
{
    size_t size = THREAD_STACK_SIZE + PAGE_SIZE;
    char *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    thread_t *t;
    long tid;

    if (map == MAP_FAILED)
        return -1;
    t = (thread_t *)(map + THREAD_STACK_SIZE); /* TCB in the top page, stack grows down below it */
    t->self = t;
    t->fn = fn;
    t->arg = arg;
    t->map = map;
    t->map_size = size;
    tid = clone_thread(THREAD_FLAGS, t, &t->tid, &t->tid, t, thread_entry, t);
    if (tid < 0) {
        munmap(map, size);
        errno = (int)-tid;
        return -1;
    }
    *out = t;
    return 0;
}

int thread_join(thread_t *t, void **ret)
{
    int tid;

    /* The kernel zeroes t->tid and does a (shared) FUTEX_WAKE on it when the thread exits. */
    while ((tid = __atomic_load_n(&t->tid, __ATOMIC_ACQUIRE)) != 0)
        futex(&t->tid, FUTEX_WAIT, tid, NULL);
    if (ret)
        *ret = t->ret;
    return munmap(t->map, t->map_size);
}
