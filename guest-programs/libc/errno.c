/* errno.c - storage for errno (a plain global: threads share it). */
#include "errno.h"

int errno;
