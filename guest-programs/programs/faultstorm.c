/* faultstorm [N] - maps N anonymous pages (default 10000) and stores once to each (N first-touch faults). */
#include "stdio.h"
#include "stdlib.h"
#include "sys.h"

int main(int argc, char **argv)
{
    long pages = 10000;

    if (argc > 1 && (parse_long(argv[1], &pages) < 0 || pages <= 0))
        die(2, "usage: faultstorm [PAGES]");
    size_t len = (size_t)pages * PAGE_SIZE;
    volatile char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        die(1, "faultstorm: FAIL: mmap of %ld pages failed", pages);
    for (long i = 0; i < pages; i++)
        mem[(size_t)i * PAGE_SIZE] = (char)(i | 1);
    for (long i = 0; i < pages; i++)
        if (mem[(size_t)i * PAGE_SIZE] != (char)(i | 1))
            die(1, "faultstorm: FAIL: page %ld lost its store", i);
    printf("faultstorm: touched %ld pages\n", pages);
    munmap((void *)mem, len);
    return 0;
}
