/* stdio.h - unbuffered formatted output (printf subset) and whole-buffer I/O helpers. */
#ifndef PAGELAB_STDIO_H
#define PAGELAB_STDIO_H

#include <stdarg.h>
#include "sys.h"

/*
 * printf subset: %d %i %u %x %X %p %s %c %% with length h, hh, l, ll, z;
 * flags '-' (left-justify) and '0' (zero-pad); width as digits or '*'; precision only for %s.
 * Every call writes its output with write() before returning (no stdio buffering).
 */
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

int printf(const char *fmt, ...) PRINTF_LIKE(1, 2);
int dprintf(int fd, const char *fmt, ...) PRINTF_LIKE(2, 3);
int snprintf(char *buf, size_t n, const char *fmt, ...) PRINTF_LIKE(3, 4);
int vdprintf(int fd, const char *fmt, va_list ap);
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);

int puts(const char *s); /* s and a newline to stdout */

/* Loop until all n bytes are transferred (or EOF for the read side); -1 on error. */
ssize_t write_all(int fd, const void *buf, size_t n);
ssize_t read_full(int fd, void *buf, size_t n);
ssize_t pread_full(int fd, void *buf, size_t n, off_t off);
ssize_t pwrite_all(int fd, const void *buf, size_t n, off_t off);

/* Prints the message (plus newline) to stdout and exits with status. */
__attribute__((noreturn)) void die(int status, const char *fmt, ...) PRINTF_LIKE(2, 3);

#endif
