/* rand.h - deterministic xorshift64 pseudo-random numbers (seeded from argv, never from the OS). */
#ifndef PAGELAB_RAND_H
#define PAGELAB_RAND_H

#include <stdint.h>

uint64_t rand_init(uint64_t seed);             /* returns a non-zero state derived from seed */
uint64_t rand_next(uint64_t *state);           /* xorshift64 step */
uint64_t rand_below(uint64_t *state, uint64_t n); /* 0 <= r < n (n > 0) */

#endif
