/*
 * hang futex | hang sleep SECONDS - blocks: FUTEX_WAIT on a word nothing will ever wake (a
 * deadlock the kernel must report), or nanosleep for SECONDS (long sleeps must cost no host time).
 */
#include "stdio.h"
#include "stdlib.h"
#include "string.h"
#include "sys.h"

static int word;

int main(int argc, char **argv)
{
    long seconds = 0;
    if (argc == 2 && strcmp(argv[1], "futex") == 0) {
        puts("hang: waiting on a futex nobody wakes");
        futex(&word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL);
        puts("hang: woken?!");
        return 1;
    }
    if (argc == 3 && strcmp(argv[1], "sleep") == 0 && parse_long(argv[2], &seconds) == 0 && seconds >= 0) {
        struct timespec ts = {seconds, 0};
        if (nanosleep(&ts, NULL) < 0)
            die(1, "hang: nanosleep failed");
        printf("hang: slept %ld s\n", seconds);
        return 0;
    }
    die(2, "usage: hang futex | hang sleep SECONDS");
}
