/* libctest - self-test of the guest libc: formatting, string functions, strtol, malloc family. */
#include "rand.h"
#include "stdio.h"
#include "stdlib.h"
#include "string.h"

static int checks;

static void expect_str(const char *got, const char *want, const char *what)
{
    checks++;
    if (strcmp(got, want) != 0)
        die(1, "libctest: FAIL: %s: got \"%s\", want \"%s\"", what, got, want);
}

static void expect(int ok, const char *what)
{
    checks++;
    if (!ok)
        die(1, "libctest: FAIL: %s", what);
}

static void test_format(void)
{
    char b[128];

    snprintf(b, sizeof(b), "%d %i %u %ld %lu %lld %llu", -42, 7, 4000000000u, -1234567890123L, 18446744073709551615UL,
             -9223372036854775807LL - 1, 12345678901234567890ULL);
    expect_str(b, "-42 7 4000000000 -1234567890123 18446744073709551615 -9223372036854775808 12345678901234567890",
               "integers");
    snprintf(b, sizeof(b), "%x %lx %llx %X %p %p", 0xbeefu, 0xdeadbeefcafeUL, 0x1ULL << 63, 0xabcu, (void *)0x1000,
             (void *)0);
    expect_str(b, "beef deadbeefcafe 8000000000000000 ABC 0x1000 0x0", "hex and pointers");
    snprintf(b, sizeof(b), "[%5d][%-5d][%05d][%05d][%08lx][%3s][%-3s|][%c%%]", 42, 42, 42, -42, 0xabcUL,
             "a", "b", 'z');
    expect_str(b, "[   42][42   ][00042][-0042][00000abc][  a][b  |][z%]", "width and padding");
    snprintf(b, sizeof(b), "%*d|%-*d|%.3s|%hhu|%hd|%zu", 4, 7, 3, 8, "abcdef", 300, 70000, (size_t)99);
    expect_str(b, "   7|8  |abc|44|4464|99", "star width, precision, length modifiers");
    expect(snprintf(b, 4, "%s", "truncated") == 9 && strcmp(b, "tru") == 0, "snprintf truncation");
    expect(snprintf(NULL, 0, "%d", 12345) == 5, "snprintf size query");
}

static void test_strings(void)
{
    char a[64], b[64];

    strcpy(a, "hello");
    expect(strlen(a) == 5 && strcmp(a, "hello") == 0 && strcmp(a, "help") < 0 && strcmp("b", "a") > 0, "strcmp");
    expect(strncmp("abcdef", "abcxyz", 3) == 0 && strncmp("abc", "abd", 3) < 0, "strncmp");
    expect(strchr(a, 'l') == a + 2 && strchr(a, 'q') == NULL && strchr(a, '\0') == a + 5, "strchr");
    for (int i = 0; i < 64; i++)
        a[i] = (char)i;
    memmove(a + 3, a, 40);
    expect(a[3] == 0 && a[42] == 39 && a[2] == 2, "memmove overlapping forward");
    memmove(a, a + 3, 40);
    expect(a[0] == 0 && a[39] == 39, "memmove overlapping backward");
    memset(b, 0x5a, sizeof(b));
    memcpy(b + 1, a, 17);
    expect(b[0] == 0x5a && b[1] == 0 && b[17] == 16 && b[18] == 0x5a, "memset/memcpy");
    expect(memcmp("abc", "abd", 3) < 0 && memcmp("abc", "abc", 3) == 0, "memcmp");
}

static void test_strtol(void)
{
    char *end;
    long v;

    expect(strtol("  -123xyz", &end, 10) == -123 && *end == 'x', "strtol decimal");
    expect(strtol("0x1F", NULL, 0) == 31 && strtol("017", NULL, 0) == 15 && strtol("ff", NULL, 16) == 255,
           "strtol bases");
    expect(strtol("99999999999999999999", NULL, 10) == 0x7fffffffffffffffL, "strtol saturates");
    expect(atoi("42") == 42 && atoi("-7") == -7, "atoi");
    expect(parse_long("100000", &v) == 0 && v == 100000 && parse_long("12x", &v) < 0 && parse_long("", &v) < 0,
           "parse_long");
}

/* Random malloc/realloc/free with a fill byte per block, checked before every free. */
static void test_malloc(void)
{
    enum { SLOTS = 64, ROUNDS = 4000 };
    static unsigned char *p[SLOTS]; /* static: zeroed by the loader, no inline memset */
    static size_t len[SLOTS];
    uint64_t rng = rand_init(3);

    for (int r = 0; r < ROUNDS; r++) {
        int s = (int)rand_below(&rng, SLOTS);
        for (size_t i = 0; i < len[s]; i++)
            if (p[s][i] != (unsigned char)(s + len[s]))
                die(1, "libctest: FAIL: heap block %d corrupted at %zu", s, i);
        size_t n = rand_below(&rng, 8) == 0 ? 70000 + rand_below(&rng, 200000) : rand_below(&rng, 3000);
        if (p[s] && rand_below(&rng, 2)) {
            unsigned char *q = realloc(p[s], n + 1);
            expect(q != NULL, "realloc");
            for (size_t i = 0; i < len[s] && i <= n; i++)
                if (q[i] != (unsigned char)(s + len[s]))
                    die(1, "libctest: FAIL: realloc lost data of block %d at %zu", s, i);
            p[s] = q;
        } else {
            free(p[s]);
            p[s] = rand_below(&rng, 2) ? malloc(n + 1) : calloc(n + 1, 1);
            expect(p[s] != NULL && ((unsigned long)p[s] & 15) == 0, "malloc alignment");
        }
        len[s] = n + 1;
        memset(p[s], s + (int)len[s], len[s]);
    }
    for (int s = 0; s < SLOTS; s++)
        free(p[s]);
    unsigned char *z = calloc(5000, 1);
    int nonzero = 0;
    for (int i = 0; z && i < 5000; i++)
        nonzero |= z[i];
    expect(z != NULL && !nonzero, "calloc returns zeroed memory");
    free(z);
    expect(calloc((size_t)1 << 40, (size_t)1 << 40) == NULL, "calloc overflow");
}

int main(void)
{
    test_format();
    printf("libctest: printf formats ok\n");
    test_strings();
    printf("libctest: string functions ok\n");
    test_strtol();
    printf("libctest: strtol ok\n");
    test_malloc();
    printf("libctest: malloc ok\n");
    puts("libctest: puts ok");
    printf("libctest: %d checks ok\n", checks);
    return 0;
}
