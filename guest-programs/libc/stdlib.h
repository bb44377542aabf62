/* stdlib.h - number parsing, heap allocation, exit. */
#ifndef PAGELAB_STDLIB_H
#define PAGELAB_STDLIB_H

#include <stddef.h>

extern char **environ;

long strtol(const char *s, char **end, int base);
int atoi(const char *s);
/* Parses a whole string as a number (base 0: decimal, 0x hex, 0 octal); returns 0 on success. */
int parse_long(const char *s, long *out);

void *malloc(size_t n);
void free(void *p);
void *calloc(size_t count, size_t size);
void *realloc(void *p, size_t n);

__attribute__((noreturn)) void exit(int status);

#endif
