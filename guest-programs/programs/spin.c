/* spin [N] - counts to N in a tight loop (forever without N): the guest that Ctrl-C in the shell stops. */
#include "stdio.h"
#include "stdlib.h"
#include "sys.h"

int main(int argc, char **argv)
{
    long n = -1;

    if (argc > 2 || (argc == 2 && (parse_long(argv[1], &n) < 0 || n < 0)))
        die(2, "usage: spin [N]");
    printf("spin: counting %s\n", n < 0 ? "forever" : "to N");
    volatile long i = 0;
    while (n < 0 || i < n)
        i++;
    printf("spin: %ld iterations\n", (long)i);
    return 0;
}
