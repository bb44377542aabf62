/*
 * fill FILE - writes FILE in 64 KiB pieces until the disk is full, then fsyncs it and reads it
 * back: every byte a write() accepted must be on the disk (fsync 0), or fsync must say why not.
 */
#include "errno.h"
#include "stdio.h"
#include "sys.h"

#define PIECE 65536

static unsigned char byte_at(long i) { return (unsigned char)(i * 13 + 7); }

int main(int argc, char **argv)
{
    static unsigned char buf[PIECE];
    if (argc != 2)
        die(2, "usage: fill FILE");
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die(2, "fill: cannot create %s", argv[1]);
    long total = 0;
    for (;;) {
        for (long i = 0; i < PIECE; i++)
            buf[i] = byte_at(total + i);
        ssize_t n = write(fd, buf, PIECE);
        if (n < 0) {
            printf("fill: write failed with errno %d after %ld bytes\n", errno, total);
            break;
        }
        total += n;
        if (n < PIECE)
            printf("fill: short write of %ld bytes\n", (long)n);
    }
    struct stat st;
    fstat(fd, &st);
    printf("fill: file size %ld\n", (long)st.st_size);
    if (st.st_size != total)
        die(1, "fill: FAIL: the file is %ld bytes but writes accepted %ld", (long)st.st_size, total);
    if (fsync(fd) < 0)
        die(1, "fill: FAIL: fsync failed with errno %d", errno);
    puts("fill: fsync ok");
    for (long off = 0; off < total; off += PIECE) {
        long want = total - off < PIECE ? total - off : PIECE;
        if (pread_full(fd, buf, want, off) != want)
            die(1, "fill: FAIL: pread at %ld", off);
        for (long i = 0; i < want; i++)
            if (buf[i] != byte_at(off + i))
                die(1, "fill: FAIL: offset %ld", off + i);
    }
    puts("fill: ok");
    return 0;
}
