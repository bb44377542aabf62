/* cp SRC DST - copies a file with a read/write loop, then fsyncs the destination. */
#include "stdio.h"
#include "sys.h"

static char buf[16384];

int main(int argc, char **argv)
{
    long total = 0;

    if (argc != 3) {
        dprintf(STDERR_FILENO, "usage: cp SRC DST\n");
        return 2;
    }
    int in = open(argv[1], O_RDONLY, 0);
    if (in < 0) {
        dprintf(STDERR_FILENO, "cp: cannot open %s\n", argv[1]);
        return 1;
    }
    int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) {
        dprintf(STDERR_FILENO, "cp: cannot create %s\n", argv[2]);
        return 1;
    }
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n == 0)
            break;
        if (n < 0 || write_all(out, buf, (size_t)n) < 0) {
            dprintf(STDERR_FILENO, "cp: %s error\n", n < 0 ? "read" : "write");
            return 1;
        }
        total += n;
    }
    if (fsync(out) < 0) {
        dprintf(STDERR_FILENO, "cp: fsync of %s failed\n", argv[2]);
        return 1;
    }
    close(in);
    if (close(out) < 0) {
        dprintf(STDERR_FILENO, "cp: close of %s failed\n", argv[2]);
        return 1;
    }
    printf("cp: copied %ld bytes\n", total);
    return 0;
}
