/* malloc.c - heap allocator: power-of-two size classes carved from brk, big blocks from mmap. */
#include "stdlib.h"
#include "errno.h"
#include "mutex.h"
#include "string.h"
#include "sys.h"

#define MIN_SHIFT 5                /* smallest block: 32 bytes including the header */
#define MAX_SHIFT 16               /* blocks up to 64 KiB come from the heap arena */
#define ARENA_GROW (256 * 1024UL)  /* heap growth step */
#define HEADER_SIZE sizeof(struct header)

/* Precedes every block; 16 bytes so payloads stay 16-byte aligned. */
struct header {
    size_t size;    /* whole block size, header included */
    size_t mmapped; /* 1: block is its own mmap, 0: block lives in the arena */
};

struct free_block {
    struct free_block *next;
};

static struct free_block *free_lists[MAX_SHIFT + 1];
static char *arena_cur, *arena_end;
static int arena_ready, brk_failed;
static mutex_t heap_lock = MUTEX_INIT;

static size_t align_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

/* Extends the arena by at least n bytes: contiguously via brk, else with a fresh mmap. */
static int arena_grow(size_t n)
{
    size_t grow = align_up(n > ARENA_GROW ? n : ARENA_GROW, PAGE_SIZE);

    if (!arena_ready) {
        arena_cur = arena_end = (char *)align_up((size_t)sys_brk(NULL), 16);
        arena_ready = 1;
    }
    if (!brk_failed) {
        char *want = arena_end + grow;
        if (sys_brk(want) == want) {
            arena_end = want;
            return 0;
        }
        brk_failed = 1;
    }
    char *p = mmap(NULL, grow, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    arena_cur = p; /* the rest of the old arena is abandoned */
    arena_end = p + grow;
    return 0;
}

static struct header *arena_alloc(int shift)
{
    size_t size = (size_t)1 << shift;
    struct header *h;

    if (free_lists[shift]) {
        h = (struct header *)free_lists[shift];
        free_lists[shift] = free_lists[shift]->next;
    } else {
        if ((size_t)(arena_end - arena_cur) < size && arena_grow(size) < 0)
            return NULL;
        h = (struct header *)arena_cur;
        arena_cur += size;
    }
    h->size = size;
    h->mmapped = 0;
    return h;
}

static struct header *big_alloc(size_t total)
{
    size_t size = align_up(total, PAGE_SIZE);
    struct header *h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (h == MAP_FAILED)
        return NULL;
    h->size = size;
    h->mmapped = 1;
    return h;
}

void *malloc(size_t n)
{
    struct header *h;
    int shift = MIN_SHIFT;

    if (n > ((size_t)1 << 62)) {
        errno = ENOMEM;
        return NULL;
    }
    size_t total = align_up(n + HEADER_SIZE, 16);
    if (total > ((size_t)1 << MAX_SHIFT))
        return (h = big_alloc(total)) ? h + 1 : NULL;
    while (((size_t)1 << shift) < total)
        shift++;
    mutex_lock(&heap_lock);
    h = arena_alloc(shift);
    mutex_unlock(&heap_lock);
    if (!h)
        errno = ENOMEM;
    return h ? h + 1 : NULL;
}

void free(void *p)
{
    struct header *h;
    int shift = MIN_SHIFT;

    if (!p)
        return;
    h = (struct header *)p - 1;
    if (h->mmapped) {
        munmap(h, h->size);
        return;
    }
    while (((size_t)1 << shift) < h->size)
        shift++;
    mutex_lock(&heap_lock);
    ((struct free_block *)h)->next = free_lists[shift];
    free_lists[shift] = (struct free_block *)h;
    mutex_unlock(&heap_lock);
}

void *calloc(size_t count, size_t size)
{
    size_t n;
    void *p;

    if (__builtin_mul_overflow(count, size, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    p = malloc(n);
    if (p)
        memset(p, 0, n); /* recycled arena blocks are dirty */
    return p;
}

void *realloc(void *p, size_t n)
{
    size_t usable;
    void *q;

    if (!p)
        return malloc(n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    usable = ((struct header *)p - 1)->size - HEADER_SIZE;
    if (n <= usable)
        return p;
    q = malloc(n);
    if (!q)
        return NULL;
    memcpy(q, p, usable);
    free(p);
    return q;
}
