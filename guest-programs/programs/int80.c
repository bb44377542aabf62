/* int80 - makes a 32-bit system call (int $0x80, getpid = 20), which a 64-bit-only kernel refuses. */
#include "stdio.h"

int main(void)
{
    long r;
    puts("int80: calling getpid through int $0x80");
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
    printf("int80: returned %ld\n", r);
    return 0;
}
