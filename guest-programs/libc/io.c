/* io.c - whole-buffer read/write loops and puts. */
#include "stdio.h"
#include "errno.h"
#include "string.h"

ssize_t write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    size_t done = 0;

    while (done < n) {
        ssize_t w = write(fd, p + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    return (ssize_t)done;
}

ssize_t read_full(int fd, void *buf, size_t n)
{
    char *p = buf;
    size_t done = 0;

    while (done < n) {
        ssize_t r = read(fd, p + done, n - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

ssize_t pread_full(int fd, void *buf, size_t n, off_t off)
{
    char *p = buf;
    size_t done = 0;

    while (done < n) {
        ssize_t r = pread(fd, p + done, n - done, off + (off_t)done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

ssize_t pwrite_all(int fd, const void *buf, size_t n, off_t off)
{
    const char *p = buf;
    size_t done = 0;

    while (done < n) {
        ssize_t w = pwrite(fd, p + done, n - done, off + (off_t)done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    return (ssize_t)done;
}

/* One writev for the line and its newline; finish with write_all if it comes up short. */
int puts(const char *s)
{
    size_t n = strlen(s);
    struct iovec iov[2] = {{(void *)s, n}, {(void *)"\n", 1}};
    ssize_t w = writev(STDOUT_FILENO, iov, 2);

    if (w == (ssize_t)(n + 1))
        return 1;
    if (w < 0)
        w = 0;
    if ((size_t)w < n && write_all(STDOUT_FILENO, s + w, n - (size_t)w) < 0)
        return -1;
    return write_all(STDOUT_FILENO, "\n", 1) < 0 ? -1 : 1;
}
