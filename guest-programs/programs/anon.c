/* anon - maps anonymous private pages, fills and verifies them, unmaps, then touches them (SIGSEGV). */
#include "stdio.h"
#include "sys.h"

#define PAGES 16
#define WORDS_PER_PAGE (PAGE_SIZE / sizeof(uint64_t))

static uint64_t pattern(size_t page, size_t word) { return (uint64_t)page << 32 | word | 0xa5a5000000000000ULL; }

int main(void)
{
    size_t len = PAGES * PAGE_SIZE;
    uint64_t *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (mem == MAP_FAILED)
        die(1, "anon: FAIL: mmap failed");
    printf("anon: mapped %d pages\n", PAGES);
    for (size_t i = 0; i < len / sizeof(uint64_t); i++)
        if (mem[i] != 0)
            die(1, "anon: FAIL: fresh page %zu not zero at word %zu", i / WORDS_PER_PAGE, i % WORDS_PER_PAGE);
    printf("anon: fresh pages read as zero\n");
    for (size_t p = 0; p < PAGES; p++)
        for (size_t w = 0; w < WORDS_PER_PAGE; w++)
            mem[p * WORDS_PER_PAGE + w] = pattern(p, w);
    printf("anon: wrote %d pages\n", PAGES);
    for (size_t p = 0; p < PAGES; p++)
        for (size_t w = 0; w < WORDS_PER_PAGE; w++)
            if (mem[p * WORDS_PER_PAGE + w] != pattern(p, w))
                die(1, "anon: FAIL: page %zu word %zu: expected 0x%lx found 0x%lx", p, w,
                    pattern(p, w), mem[p * WORDS_PER_PAGE + w]);
    printf("anon: verified %d pages\n", PAGES);
    if (munmap(mem, len) < 0)
        die(1, "anon: FAIL: munmap failed");
    printf("anon: unmapped %d pages\n", PAGES);
    printf("anon: touching unmapped page (expect SIGSEGV)\n");
    ((volatile uint64_t *)mem)[3 * WORDS_PER_PAGE] = 1;
    die(1, "anon: FAIL: store to unmapped page did not fault");
}
