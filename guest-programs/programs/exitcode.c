/* exitcode N - exits with status N (atoi of argv[1], 0 if absent); prints nothing. */
#include "stdlib.h"

int main(int argc, char **argv)
{
    return argc > 1 ? atoi(argv[1]) : 0;
}
