/* mapwriter FILE [SIZE] - creates FILE of SIZE bytes and stores the mapfmt.h pattern via a MAP_SHARED mapping. */
#include "mapfmt.h"
#include "stdio.h"
#include "stdlib.h"
#include "sys.h"

int main(int argc, char **argv)
{
    long size = MAP_DEFAULT_SIZE;

    if (argc < 2 || (argc > 2 && (parse_long(argv[2], &size) < 0 || size <= 0)))
        die(2, "usage: mapwriter FILE [SIZE]");
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die(2, "mapwriter: cannot create %s", argv[1]);
    if (ftruncate(fd, size) < 0)
        die(1, "mapwriter: FAIL: ftruncate to %ld failed", size);
    unsigned char *map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        die(1, "mapwriter: FAIL: mmap MAP_SHARED failed");
    for (size_t i = 0; i < (size_t)size; i++)
        map[i] = map_pattern(i);
    printf("mapwriter: stored %ld bytes (header \"%s\", then byte i = (i*7+3)&0xff)\n", size, MAP_HEADER);
    if (msync(map, (size_t)size, MS_SYNC) < 0)
        die(1, "mapwriter: FAIL: msync failed");
    printf("mapwriter: msync ok\n");
    if (munmap(map, (size_t)size) < 0 || close(fd) < 0)
        die(1, "mapwriter: FAIL: munmap/close failed");
    printf("mapwriter: ok\n");
    return 0;
}
