/* ud2 - executes the ud2 instruction; must be killed by SIGILL. */
#include "stdio.h"

int main(void)
{
    printf("ud2: executing ud2 (expect SIGILL)\n");
    __asm__ volatile("ud2");
    printf("ud2: FAIL: ud2 did not trap\n");
    return 1;
}
