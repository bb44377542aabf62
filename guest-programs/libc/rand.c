/* rand.c - xorshift64 (Marsaglia 13/7/17), seeded through one splitmix64 step. */
#include "rand.h"

uint64_t rand_init(uint64_t seed)
{
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL;

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return z ? z : 0x2545f4914f6cdd1dULL;
}

uint64_t rand_next(uint64_t *state)
{
    uint64_t x = *state;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

uint64_t rand_below(uint64_t *state, uint64_t n) { return rand_next(state) % n; }
