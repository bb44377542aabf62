/* cat FILE... - copies each file (or stdin if none) to stdout with a read/write loop. */
#include "stdio.h"
#include "sys.h"

static char buf[16384];

static int copy(int fd, const char *name)
{
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n == 0)
            return 0;
        if (n < 0) {
            dprintf(STDERR_FILENO, "cat: read error on %s\n", name);
            return -1;
        }
        if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0) {
            dprintf(STDERR_FILENO, "cat: write error\n");
            return -1;
        }
    }
}

int main(int argc, char **argv)
{
    int status = 0;

    if (argc < 2)
        return copy(STDIN_FILENO, "stdin") < 0;
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY, 0);
        if (fd < 0) {
            dprintf(STDERR_FILENO, "cat: cannot open %s\n", argv[i]);
            status = 1;
            continue;
        }
        if (copy(fd, argv[i]) < 0)
            status = 1;
        close(fd);
    }
    return status;
}
