/* cow FILE - a MAP_PRIVATE writable file mapping must copy on write and leave the file unchanged. */
#include "stdio.h"
#include "string.h"
#include "sys.h"

#define CHECK_LEN 64
static const char stamp[16] = "COW-PRIVATE-DATA";

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "cow.dat";
    unsigned char before[CHECK_LEN], after[CHECK_LEN];
    struct stat st;
    int fd = open(path, O_RDONLY, 0);

    if (fd < 0 || fstat(fd, &st) < 0)
        die(2, "cow: cannot open %s", path);
    size_t size = (size_t)st.st_size;
    size_t n = size < CHECK_LEN ? size : CHECK_LEN;
    if (size < sizeof(stamp))
        die(2, "cow: %s is too small (%zu bytes, need >= %zu)", path, size, sizeof(stamp));
    if (read_full(fd, before, n) != (ssize_t)n)
        die(1, "cow: FAIL: read of %s failed", path);
    printf("cow: read %zu bytes of %s (size %zu)\n", n, path, size);

    unsigned char *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED)
        die(1, "cow: FAIL: mmap MAP_PRIVATE failed");
    if (memcmp(map, before, n) != 0)
        die(1, "cow: FAIL: private mapping does not show the file contents");
    memcpy(map, stamp, sizeof(stamp));
    if (memcmp(map, stamp, sizeof(stamp)) != 0 || memcmp(map + sizeof(stamp), before + sizeof(stamp), n - sizeof(stamp)))
        die(1, "cow: FAIL: private mapping does not show the new bytes");
    printf("cow: wrote %zu bytes through the MAP_PRIVATE mapping\n", sizeof(stamp));

    if (pread_full(fd, after, n, 0) != (ssize_t)n || memcmp(before, after, n) != 0)
        die(1, "cow: FAIL: file changed after a private-mapping write");
    printf("cow: file unchanged (pread)\n");

    unsigned char *shared = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    if (shared == MAP_FAILED)
        die(1, "cow: FAIL: mmap MAP_SHARED failed");
    if (memcmp(shared, before, n) != 0)
        die(1, "cow: FAIL: a fresh shared mapping sees the private write");
    printf("cow: fresh shared mapping unchanged\n");
    if (memcmp(map, stamp, sizeof(stamp)) != 0)
        die(1, "cow: FAIL: private copy lost its new bytes");
    munmap(shared, size);
    munmap(map, size);
    close(fd);
    printf("cow: ok\n");
    return 0;
}
