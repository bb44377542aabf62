/* writefsync FILE [N] - writes N 4 KiB blocks (default 8), fsync after each, then verifies with pread. */
#include "stdio.h"
#include "stdlib.h"
#include "sys.h"

#define BLOCK 4096

static unsigned char block_byte(long blk, long i) { return (unsigned char)(blk * 37 + i * 3 + 1); }

static void fill_block(unsigned char *buf, long blk)
{
    for (long i = 0; i < BLOCK; i++)
        buf[i] = block_byte(blk, i);
}

int main(int argc, char **argv)
{
    static unsigned char buf[BLOCK];
    long blocks = 8;

    if (argc < 2 || (argc > 2 && (parse_long(argv[2], &blocks) < 0 || blocks <= 0)))
        die(2, "usage: writefsync FILE [BLOCKS]");
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die(2, "writefsync: cannot create %s", argv[1]);
    for (long b = 0; b < blocks; b++) {
        fill_block(buf, b);
        if (write_all(fd, buf, BLOCK) < 0)
            die(1, "writefsync: FAIL: write of block %ld failed", b);
        if (fsync(fd) < 0)
            die(1, "writefsync: FAIL: fsync after block %ld failed", b);
        printf("fsync ok: %ld bytes durable\n", (b + 1) * BLOCK);
    }
    for (long b = 0; b < blocks; b++) {
        if (pread_full(fd, buf, BLOCK, b * BLOCK) != BLOCK)
            die(1, "writefsync: FAIL: pread of block %ld failed", b);
        for (long i = 0; i < BLOCK; i++)
            if (buf[i] != block_byte(b, i))
                die(1, "writefsync: FAIL: offset %ld: expected 0x%02x found 0x%02x", b * BLOCK + i,
                    block_byte(b, i), buf[i]);
    }
    close(fd);
    printf("writefsync: %ld blocks verified\n", blocks);
    return 0;
}
