/* die.c - report a failure on stdout and exit. */
#include "stdio.h"

void die(int status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vdprintf(STDOUT_FILENO, fmt, ap);
    va_end(ap);
    write_all(STDOUT_FILENO, "\n", 1);
    exit(status);
}
