/* segv - stores through a NULL pointer; must be killed by SIGSEGV. */
#include "stdio.h"

int main(void)
{
    int *p = NULL;

    __asm__ volatile("" : "+r"(p)); /* hide the NULL from gcc, which would delete or trap the store */
    printf("segv: storing to NULL (expect SIGSEGV)\n");
    *(volatile int *)p = 42;
    printf("segv: FAIL: store to NULL did not fault\n");
    return 1;
}
