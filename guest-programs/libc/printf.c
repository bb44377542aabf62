/* printf.c - the printf-family formatter writing to an fd (in chunks) or to a string. */
#include "stdio.h"
#include "string.h"

#define FD_CHUNK 512

/* Where formatted characters go: fd >= 0 flushes buf to fd, fd < 0 fills a caller string. */
struct sink {
    int fd;
    char *buf;
    size_t cap;
    size_t len;
    size_t total; /* characters produced, including ones that did not fit */
    int failed;
};

struct spec {
    int left;  /* '-' */
    int zero;  /* '0' */
    int width;
    int prec;  /* -1: none */
    int size;  /* 0 int, 1 long, 2 long long, -1 short, -2 char */
};

static void sink_flush(struct sink *s)
{
    if (s->fd >= 0 && s->len) {
        if (write_all(s->fd, s->buf, s->len) < 0)
            s->failed = 1;
        s->len = 0;
    }
}

static void put_char(struct sink *s, char c)
{
    if (s->fd >= 0) {
        if (s->len == s->cap)
            sink_flush(s);
        s->buf[s->len++] = c;
    } else if (s->len + 1 < s->cap) {
        s->buf[s->len++] = c;
    }
    s->total++;
}

static void put_repeat(struct sink *s, char c, int n)
{
    while (n-- > 0)
        put_char(s, c);
}

static void put_mem(struct sink *s, const char *p, size_t n)
{
    while (n--)
        put_char(s, *p++);
}

/* Emits prefix (sign or 0x) and body, padded to the field width. */
static void put_field(struct sink *s, const struct spec *sp, const char *prefix, const char *body, size_t n)
{
    size_t plen = strlen(prefix);
    int pad = sp->width - (int)(plen + n);

    if (!sp->left && !sp->zero)
        put_repeat(s, ' ', pad);
    put_mem(s, prefix, plen);
    if (!sp->left && sp->zero)
        put_repeat(s, '0', pad);
    put_mem(s, body, n);
    if (sp->left)
        put_repeat(s, ' ', pad);
}

static void put_number(struct sink *s, const struct spec *sp, unsigned long long v, int base, int upper,
                       const char *prefix)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int i = sizeof(tmp);

    do {
        tmp[--i] = digits[v % (unsigned)base];
        v /= (unsigned)base;
    } while (v);
    put_field(s, sp, prefix, tmp + i, sizeof(tmp) - (size_t)i);
}

static long long signed_arg(const struct spec *sp, va_list *ap)
{
    if (sp->size == 2)
        return va_arg(*ap, long long);
    if (sp->size == 1)
        return va_arg(*ap, long);
    int v = va_arg(*ap, int);
    return sp->size == -1 ? (short)v : sp->size == -2 ? (signed char)v : v;
}

static unsigned long long unsigned_arg(const struct spec *sp, va_list *ap)
{
    if (sp->size == 2)
        return va_arg(*ap, unsigned long long);
    if (sp->size == 1)
        return va_arg(*ap, unsigned long);
    unsigned v = va_arg(*ap, unsigned);
    return sp->size == -1 ? (unsigned short)v : sp->size == -2 ? (unsigned char)v : v;
}

/* Parses flags, width, precision and length after '%'; returns the conversion character's position. */
static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
    memset(sp, 0, sizeof(*sp));
    sp->prec = -1;
    for (;; f++) {
        if (*f == '-')
            sp->left = 1;
        else if (*f == '0')
            sp->zero = 1;
        else
            break;
    }
    if (*f == '*') {
        sp->width = va_arg(*ap, int);
        if (sp->width < 0) {
            sp->left = 1;
            sp->width = -sp->width;
        }
        f++;
    }
    for (; *f >= '0' && *f <= '9'; f++)
        sp->width = sp->width * 10 + (*f - '0');
    if (*f == '.') {
        f++;
        sp->prec = 0;
        if (*f == '*') {
            sp->prec = va_arg(*ap, int);
            f++;
        }
        for (; *f >= '0' && *f <= '9'; f++)
            sp->prec = sp->prec * 10 + (*f - '0');
    }
    for (;; f++) {
        if (*f == 'l')
            sp->size++;
        else if (*f == 'h')
            sp->size--;
        else if (*f == 'z')
            sp->size = 1;
        else
            break;
    }
    return f;
}

static void convert(struct sink *s, struct spec *sp, char conv, va_list *ap)
{
    switch (conv) {
    case 'd':
    case 'i': {
        long long v = signed_arg(sp, ap);
        put_number(s, sp, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, 10, 0, v < 0 ? "-" : "");
        break;
    }
    case 'u':
        put_number(s, sp, unsigned_arg(sp, ap), 10, 0, "");
        break;
    case 'x':
    case 'X':
        put_number(s, sp, unsigned_arg(sp, ap), 16, conv == 'X', "");
        break;
    case 'p':
        put_number(s, sp, (unsigned long)va_arg(*ap, void *), 16, 0, "0x");
        break;
    case 'c': {
        char c = (char)va_arg(*ap, int);
        sp->zero = 0;
        put_field(s, sp, "", &c, 1);
        break;
    }
    case 's': {
        const char *str = va_arg(*ap, const char *);
        size_t n = 0;
        if (!str)
            str = "(null)";
        while (str[n] && (sp->prec < 0 || n < (size_t)sp->prec))
            n++;
        sp->zero = 0;
        put_field(s, sp, "", str, n);
        break;
    }
    case '%':
        put_char(s, '%');
        break;
    default: /* unknown conversion: print it as is */
        put_char(s, '%');
        if (conv)
            put_char(s, conv);
        break;
    }
}

static int format(struct sink *s, const char *fmt, va_list ap)
{
    struct spec sp;
    va_list args;

    va_copy(args, ap);
    while (*fmt) {
        if (*fmt != '%') {
            put_char(s, *fmt++);
            continue;
        }
        fmt = parse_spec(fmt + 1, &sp, &args);
        convert(s, &sp, *fmt, &args);
        if (*fmt)
            fmt++;
    }
    va_end(args);
    sink_flush(s);
    return s->failed ? -1 : (int)s->total;
}

int vdprintf(int fd, const char *fmt, va_list ap)
{
    char buf[FD_CHUNK];
    struct sink s = {.fd = fd, .buf = buf, .cap = sizeof(buf)};

    return format(&s, fmt, ap);
}

int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
    struct sink s = {.fd = -1, .buf = buf, .cap = n};
    int ret = format(&s, fmt, ap);

    if (n)
        buf[s.len] = '\0';
    return ret;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = vdprintf(STDOUT_FILENO, fmt, ap);
    va_end(ap);
    return ret;
}

int dprintf(int fd, const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = vdprintf(fd, fmt, ap);
    va_end(ap);
    return ret;
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return ret;
}
