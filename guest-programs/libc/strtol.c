/* strtol.c - string to integer conversion (strtol, atoi, parse_long). */
#include "stdlib.h"

#define LONG_MAX_U 0x7fffffffffffffffUL

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

static int is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* Values that overflow saturate at LONG_MAX / LONG_MIN. */
long strtol(const char *s, char **end, int base)
{
    const char *p = s, *digits;
    unsigned long v = 0, limit;
    int neg = 0, over = 0;

    while (is_space(*p))
        p++;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && digit_value(p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    limit = neg ? LONG_MAX_U + 1 : LONG_MAX_U;
    for (digits = p; digit_value(*p) < base; p++) {
        unsigned long d = (unsigned long)digit_value(*p);
        if (v > (limit - d) / (unsigned long)base)
            over = 1;
        else
            v = v * (unsigned long)base + d;
    }
    if (end)
        *end = (char *)(p == digits ? s : p);
    if (over)
        v = limit;
    return neg ? (long)(0 - v) : (long)v;
}

int atoi(const char *s) { return (int)strtol(s, NULL, 10); }

int parse_long(const char *s, long *out)
{
    char *end;

    *out = strtol(s, &end, 0);
    return (end == s || *end != '\0') ? -1 : 0;
}
