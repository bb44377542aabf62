/* isizegrow FILE - a partial last page stays mapped writable while i_size grows (the bug 3.18's
 * pagecache_isize_extended fixed, outside the seed races): a 1500-byte file is mapped (2 pages),
 * a store faults into ->page_mkwrite (which covers the page only up to EOF), ftruncate grows the
 * file to 4096, a store lands in the new tail through the still-writable pte (no fault), msync.
 * The file is right; on the delayed-allocation filesystem the tail was dirtied without the
 * reservation ->page_mkwrite would have made (pagelab reports it unless --isize-extended). */
#include "racefmt.h"

static unsigned char shadow[4096] __attribute__((aligned(8)));

int main(int argc, char **argv)
{
    if (argc < 2)
        die(2, "usage: isizegrow FILE");
    for (size_t i = 0; i < 1500; i++)
        shadow[i] = (unsigned char)(i * 3 + 1);
    int fd = race_create("isizegrow", argv[1], shadow, 1500);
    unsigned char *map = race_map("isizegrow", fd, 8192);
    map[10] = shadow[10] = 0x11; /* faults: ->page_mkwrite for [0, 1500) */
    if (ftruncate(fd, 4096) < 0)
        die(1, "isizegrow: FAIL: ftruncate failed");
    map[3000] = shadow[3000] = 0x22; /* the new tail, through the writable pte */
    if (msync(map, 4096, MS_SYNC) < 0 || munmap(map, 8192) < 0)
        die(1, "isizegrow: FAIL: msync/munmap failed");
    race_verify("isizegrow", fd, shadow, 4096);
    close(fd);
    printf("isizegrow: stored past the old EOF of a partial last page after ftruncate grew the file, file verified\n");
    return 0;
}
