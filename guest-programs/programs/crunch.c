/* crunch [KIB] [SEED] - compute-heavy: makes KIB KiB (default 1024) of pseudo-random words, LZ77-compresses
 * them (greedy, hash of 4 bytes, 64 KiB window), decompresses, verifies, prints sizes and a checksum. */
#include "stdio.h"
#include "stdlib.h"
#include "string.h"
#include "sys.h"

#define WINDOW 65536
#define HASH_BITS 15
#define MIN_MATCH 4
#define MAX_MATCH 258

static unsigned long long state = 88172645463325252ULL;

static unsigned long long next_random(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

/* Words of 2..8 letters from a 512-word vocabulary, separated by spaces and newlines. */
static void make_text(unsigned char *text, size_t n)
{
    static char vocabulary[512][9];
    for (int w = 0; w < 512; w++) {
        int len = 2 + (int)(next_random() % 7);
        for (int i = 0; i < len; i++)
            vocabulary[w][i] = (char)('a' + next_random() % 26);
        vocabulary[w][len] = 0;
    }
    size_t at = 0;
    while (at < n) {
        const char *word = vocabulary[next_random() % 512];
        for (int i = 0; word[i] && at < n; i++)
            text[at++] = (unsigned char)word[i];
        if (at < n)
            text[at++] = next_random() % 12 == 0 ? '\n' : ' ';
    }
}

static unsigned hash4(const unsigned char *p)
{
    unsigned v = (unsigned)p[0] | (unsigned)p[1] << 8 | (unsigned)p[2] << 16 | (unsigned)p[3] << 24;
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

/* Output: literal = 0x00 byte; match = 0x01, length-4 (1 byte), distance (2 bytes). */
static size_t compress(const unsigned char *in, size_t n, unsigned char *out)
{
    static long head[1 << HASH_BITS];
    static long prev[WINDOW];
    for (size_t i = 0; i < (1u << HASH_BITS); i++)
        head[i] = -1;
    size_t o = 0, i = 0;
    while (i < n) {
        size_t best = 0, best_dist = 0;
        if (i + MIN_MATCH <= n) {
            unsigned h = hash4(in + i);
            long cand = head[h];
            for (int chain = 0; cand >= 0 && i - (size_t)cand < WINDOW && chain < 16; chain++) {
                size_t len = 0;
                while (len < MAX_MATCH && i + len < n && in[cand + len] == in[i + len])
                    len++;
                if (len > best) {
                    best = len;
                    best_dist = i - (size_t)cand;
                }
                cand = prev[cand % WINDOW];
            }
            prev[i % WINDOW] = head[h];
            head[h] = (long)i;
        }
        if (best >= MIN_MATCH) {
            out[o++] = 1;
            out[o++] = (unsigned char)(best - MIN_MATCH);
            out[o++] = (unsigned char)(best_dist & 0xff);
            out[o++] = (unsigned char)(best_dist >> 8);
            for (size_t k = 1; k < best && i + k + MIN_MATCH <= n; k++) {
                unsigned h = hash4(in + i + k);
                prev[(i + k) % WINDOW] = head[h];
                head[h] = (long)(i + k);
            }
            i += best;
        } else {
            out[o++] = 0;
            out[o++] = in[i++];
        }
    }
    return o;
}

static size_t decompress(const unsigned char *in, size_t n, unsigned char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (in[i] == 0) {
            out[o++] = in[i + 1];
            i += 2;
        } else {
            size_t len = (size_t)in[i + 1] + MIN_MATCH, dist = (size_t)in[i + 2] | (size_t)in[i + 3] << 8;
            for (size_t k = 0; k < len; k++, o++)
                out[o] = out[o - dist];
            i += 4;
        }
    }
    return o;
}

int main(int argc, char **argv)
{
    long kib = 1024, seed = 1;
    if ((argc > 1 && (parse_long(argv[1], &kib) < 0 || kib <= 0 || kib > 1 << 20))
            || (argc > 2 && parse_long(argv[2], &seed) < 0))
        die(2, "usage: crunch [KIB] [SEED]");
    state += (unsigned long long)seed * 0x9E3779B97F4A7C15ULL;
    size_t n = (size_t)kib * 1024;
    unsigned char *text = malloc(n), *packed = malloc(2 * n + 16), *back = malloc(n);
    if (!text || !packed || !back)
        die(1, "crunch: FAIL: out of memory for %ld KiB", kib);
    make_text(text, n);
    size_t packed_size = compress(text, n, packed);
    if (decompress(packed, packed_size, back) != n || memcmp(text, back, n) != 0)
        die(1, "crunch: FAIL: the round trip changed the data");
    unsigned long long sum = 14695981039346656037ULL;
    for (size_t i = 0; i < packed_size; i++)
        sum = (sum ^ packed[i]) * 1099511628211ULL;
    printf("crunch: %ld KiB -> %ld bytes, checksum 0x%llx\n", kib, (long)packed_size, sum);
    return 0;
}
