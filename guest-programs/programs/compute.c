/*
 * compute - a compute-bound guest for `pagelab bench trace`: N rounds of a sieve of Eratosthenes
 * over the numbers below 65536 and a checksum over the primes found. No system calls between the
 * first and the last line of output, no page faults after the first round.
 */
#include "stdio.h"
#include "stdlib.h"

#define LIMIT 65536

static unsigned char composite[LIMIT];

static unsigned long sieve_round(unsigned long seed)
{
    for (unsigned long i = 0; i < LIMIT; i++) {
        composite[i] = 0;
    }
    unsigned long sum = seed;
    for (unsigned long i = 2; i < LIMIT; i++) {
        if (composite[i]) {
            continue;
        }
        sum = sum * 31 + i;
        for (unsigned long j = i * i; j < LIMIT; j += i) {
            composite[j] = 1;
        }
    }
    return sum;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atoi(argv[1]) : 10;
    if (rounds < 1) {
        printf("usage: compute [ROUNDS >= 1]\n");
        return 2;
    }
    unsigned long sum = 0;
    for (long r = 0; r < rounds; r++) {
        sum = sieve_round(sum);
    }
    printf("compute: %ld rounds, checksum 0x%lx\n", rounds, sum);
    return 0;
}
