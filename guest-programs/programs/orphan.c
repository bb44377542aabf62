/* orphan FILE - creates FILE (16 KiB), maps it shared, closes it, unlinks it and exits still mapping it. */
#include "stdio.h"
#include "sys.h"

int main(int argc, char **argv)
{
    static char buf[16384];
    if (argc != 2)
        die(2, "usage: orphan FILE");
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write_all(fd, buf, sizeof buf) < 0 || fsync(fd) < 0)
        die(1, "orphan: cannot write %s", argv[1]);
    char *p = mmap(NULL, sizeof buf, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        die(1, "orphan: mmap failed");
    p[0] = 'x';
    close(fd);
    if (unlink(argv[1]) < 0)
        die(1, "orphan: unlink failed");
    puts("orphan: unlinked while mapped; exiting");
    return 0;
}
