/* race2mmap FILE [ROUNDS] - R2 (seed 002, rtorrent / apt): write() and stores through a long-lived
 * MAP_SHARED writable mapping of the same pages, then msync(MS_SYNC). Each round: write() into
 * buffer 0 of a page (it joins the journal), a store into buffer 2 through the mapping, a nap
 * (kjournald writes and cleans buffer 0 on its own), a store into buffer 0 through the still
 * writable pte, msync. Before 2.6.20 clear_page_dirty_for_io cleans the pte without telling the
 * filesystem, and ->writepage skips the clean buffer 0: the last store is not on disk when msync
 * returns (one CPU is enough). */
#include "racefmt.h"
#include "stdlib.h"

#define SIZE (2 * 4096)

static unsigned char shadow[SIZE] __attribute__((aligned(8)));

int main(int argc, char **argv)
{
    long rounds = 4;

    if (argc < 2 || (argc > 2 && (parse_long(argv[2], &rounds) < 0 || rounds < 1 || rounds > 1000)))
        die(2, "usage: race2mmap FILE [ROUNDS 1..1000]");
    for (size_t i = 0; i < SIZE; i++)
        shadow[i] = (unsigned char)(i * 7 + 3);
    int fd = race_create("race2mmap", argv[1], shadow, SIZE);
    unsigned char *map = race_map("race2mmap", fd, SIZE);
    for (long r = 0; r < rounds; r++) {
        size_t page = (size_t)(r % 2) * 4096;
        unsigned char w[16];

        for (int i = 0; i < 16; i++)
            w[i] = (unsigned char)(0x40 + r + i);
        memcpy(shadow + page + 16, w, sizeof(w));
        if (pwrite_all(fd, w, sizeof(w), (off_t)(page + 16)) < 0)
            die(1, "race2mmap: FAIL: pwrite failed");
        map[page + 2048] = shadow[page + 2048] = (unsigned char)(0x80 + r);
        race_nap(700); /* kjournald flushes buffer 0 (written by write()) and cleans it */
        map[page + 100] = shadow[page + 100] = (unsigned char)(0xc0 + r); /* buffer 0, through the pte */
        if (msync(map, SIZE, MS_SYNC) < 0)
            die(1, "race2mmap: FAIL: msync failed in round %ld", r);
    }
    if (!race_same(map, shadow, SIZE))
        die(1, "race2mmap: FAIL: the mapping differs from the shadow copy");
    if (munmap(map, SIZE) < 0)
        die(1, "race2mmap: FAIL: munmap failed");
    race_verify("race2mmap", fd, shadow, SIZE);
    close(fd);
    printf("race2mmap: %ld rounds of write() + stores through a shared mapping + msync, file verified\n", rounds);
    return 0;
}
