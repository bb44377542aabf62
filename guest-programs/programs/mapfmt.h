/* mapfmt.h - the file pattern mapwriter stores and mapreader verifies. */
#ifndef PAGELAB_MAPFMT_H
#define PAGELAB_MAPFMT_H

#include <stddef.h>

#define MAP_HEADER "pagelab mapwriter"
#define MAP_HEADER_LEN (sizeof(MAP_HEADER) - 1)
#define MAP_DEFAULT_SIZE 16384

/* Byte at offset i: the ASCII header first, then (i*7+3) & 0xff. */
static inline unsigned char map_pattern(size_t i)
{
    return i < MAP_HEADER_LEN ? (unsigned char)MAP_HEADER[i] : (unsigned char)((i * 7 + 3) & 0xff);
}

#endif
