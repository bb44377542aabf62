/* brk - grows the heap with brk, writes/verifies, shrinks, regrows and checks the regrown pages are zero. */
#include "stdio.h"
#include "sys.h"

#define PAGES 8

static char *base; /* first page-aligned address at or above the initial break */

static void set_break(char *want, const char *what)
{
    char *got = sys_brk(want);

    if (got != want)
        die(1, "brk: FAIL: %s: brk(%p) returned %p", what, want, got);
}

static unsigned char pattern(size_t i) { return (unsigned char)(i * 13 + i / PAGE_SIZE + 1); }

static void fill(size_t n)
{
    for (size_t i = 0; i < n; i++)
        base[i] = (char)pattern(i);
}

static void verify(size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)base[i] != pattern(i))
            die(1, "brk: FAIL: offset %zu: expected 0x%02x found 0x%02x", i, pattern(i), (unsigned char)base[i]);
}

static void verify_zero(size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (base[i] != 0)
            die(1, "brk: FAIL: regrown offset %zu is 0x%02x, expected 0", i, (unsigned char)base[i]);
}

int main(void)
{
    char *initial = sys_brk(NULL);

    base = (char *)(((unsigned long)initial + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
    set_break(base + PAGES * PAGE_SIZE, "grow");
    printf("brk: grew heap by %d pages\n", PAGES);
    fill(PAGES * PAGE_SIZE);
    verify(PAGES * PAGE_SIZE);
    printf("brk: wrote and verified %d pages\n", PAGES);
    set_break(base + PAGES / 2 * PAGE_SIZE, "shrink to half");
    verify(PAGES / 2 * PAGE_SIZE);
    printf("brk: shrank to %d pages, contents intact\n", PAGES / 2);
    set_break(initial, "shrink to initial break");
    printf("brk: shrank to the initial break\n");
    set_break(base + PAGES * PAGE_SIZE, "regrow");
    verify_zero(PAGES * PAGE_SIZE);
    printf("brk: regrew %d pages, all read as zero\n", PAGES);
    set_break(initial, "final shrink");
    printf("brk: ok\n");
    return 0;
}
