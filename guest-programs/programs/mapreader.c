/* mapreader FILE [SIZE] - verifies the mapwriter pattern through a read-only MAP_SHARED mapping and read(). */
#include "mapfmt.h"
#include "stdio.h"
#include "stdlib.h"
#include "sys.h"

#define CHUNK 4096

static void mismatch(const char *how, size_t off, unsigned char found)
{
    die(1, "mapreader: mismatch (%s) at offset %zu: expected 0x%02x found 0x%02x", how, off, map_pattern(off), found);
}

int main(int argc, char **argv)
{
    static unsigned char buf[CHUNK];
    struct stat st;
    long size = -1;

    if (argc < 2 || (argc > 2 && (parse_long(argv[2], &size) < 0 || size <= 0)))
        die(2, "usage: mapreader FILE [SIZE]");
    int fd = open(argv[1], O_RDONLY, 0);
    if (fd < 0 || fstat(fd, &st) < 0)
        die(2, "mapreader: cannot open %s", argv[1]);
    if (size < 0)
        size = st.st_size;
    if (size <= 0 || st.st_size < size)
        die(1, "mapreader: FAIL: file has %ld bytes, expected %ld", (long)st.st_size, size);
    const unsigned char *map = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        die(1, "mapreader: FAIL: mmap failed");
    for (size_t i = 0; i < (size_t)size; i++)
        if (map[i] != map_pattern(i))
            mismatch("mapping", i, map[i]);
    for (size_t off = 0; off < (size_t)size; off += CHUNK) {
        size_t n = (size_t)size - off < CHUNK ? (size_t)size - off : CHUNK;
        if (read_full(fd, buf, n) != (ssize_t)n)
            die(1, "mapreader: FAIL: short read at offset %zu", off);
        for (size_t i = 0; i < n; i++)
            if (buf[i] != map[off + i])
                mismatch("read", off + i, buf[i]);
    }
    munmap((void *)map, (size_t)size);
    close(fd);
    printf("mapreader: %ld bytes verified\n", size);
    return 0;
}
