/* fsx FILE [-N ops] [-S seed] [-l maxlen] [-m] [-v] - randomized file checker with an in-memory shadow copy. */
#include "rand.h"
#include "stdio.h"
#include "stdlib.h"
#include "string.h"
#include "sys.h"

enum op_type { OP_READ, OP_WRITE, OP_MAPREAD, OP_MAPWRITE, OP_TRUNCATE, OP_FSYNC, OP_COUNT };
static const char *const op_names[OP_COUNT] = {"read", "write", "mapread", "mapwrite", "truncate", "fsync"};

#define LOG_SIZE 20
#define DUMP_BYTES 16

struct op_entry {
    long num;
    enum op_type type;
    long off;
    long len;  /* for truncate: the new size */
    long size; /* file size before the op */
};

/* Command line settings. */
static const char *path;
static long nops = 10000, maxlen = 65536;
static uint64_t seed = 1;
static int mmap_only, verbose;

/* Test state: the shadow holds the expected file contents; bytes past file_size are always zero. */
static int fd;
static unsigned char *shadow, *buf;
static long file_size, maxoplen;
static uint64_t rng;
static long counts[OP_COUNT];
static struct op_entry oplog[LOG_SIZE];
static long opnum;

static void usage(void)
{
    die(2, "usage: fsx FILE [-N ops] [-S seed] [-l maxlen] [-m (mmap reads/writes only)] [-v]");
}

/* Reads the value of option argv[*i] (either "-N5" or "-N 5"). */
static long option_value(int argc, char **argv, int *i)
{
    const char *s = argv[*i][2] ? argv[*i] + 2 : (*i + 1 < argc ? argv[++*i] : NULL);
    long v;

    if (!s || parse_long(s, &v) < 0 || v < 0)
        usage();
    return v;
}

static void parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !a[1]) {
            if (path)
                usage();
            path = a;
        } else if (a[1] == 'N') {
            nops = option_value(argc, argv, &i);
        } else if (a[1] == 'S') {
            seed = (uint64_t)option_value(argc, argv, &i);
        } else if (a[1] == 'l') {
            maxlen = option_value(argc, argv, &i);
        } else if (a[1] == 'm' && !a[2]) {
            mmap_only = 1;
        } else if (a[1] == 'v' && !a[2]) {
            verbose = 1;
        } else {
            usage();
        }
    }
    if (!path || maxlen < 1)
        usage();
}

static void print_op(const struct op_entry *e)
{
    if (e->type == OP_TRUNCATE)
        printf("  #%ld truncate from 0x%lx to 0x%lx\n", e->num, e->size, e->len);
    else if (e->type == OP_FSYNC)
        printf("  #%ld fsync (size 0x%lx)\n", e->num, e->size);
    else
        printf("  #%ld %s 0x%lx thru 0x%lx (len 0x%lx, size 0x%lx)\n", e->num, op_names[e->type], e->off,
               e->off + e->len - 1, e->len, e->size);
}

static void dump_log(void)
{
    long first = opnum > LOG_SIZE ? opnum - LOG_SIZE + 1 : 1;

    printf("fsx: last %ld ops (seed %lu):\n", opnum - first + 1, seed);
    for (long n = first; n <= opnum; n++)
        print_op(&oplog[n % LOG_SIZE]);
}

static __attribute__((noreturn)) void fail(const char *what)
{
    printf("fsx: FAIL: %s (op #%ld)\n", what, opnum);
    dump_log();
    exit(1);
}

static void dump_bytes(const char *label, const unsigned char *p, long n)
{
    printf("fsx:   %s:", label);
    for (long i = 0; i < n; i++)
        printf(" %02x", p[i]);
    printf("\n");
}

/* Compares found[0..len) with the shadow at file offset off; reports the first bad byte and exits. */
static void check_range(const unsigned char *found, long off, long len, const char *how)
{
    long i = 0;

    while (i < len && found[i] == shadow[off + i])
        i++;
    if (i == len)
        return;
    long n = len - i < DUMP_BYTES ? len - i : DUMP_BYTES;
    printf("fsx: MISMATCH (%s) at offset %ld (0x%lx): expected 0x%02x found 0x%02x\n", how, off + i, off + i,
           shadow[off + i], found[i]);
    dump_bytes("expected", shadow + off + i, n);
    dump_bytes("found   ", found + i, n);
    dump_log();
    exit(1);
}

static unsigned char *map_region(long off, long len, int prot, long *delta)
{
    long page_off = off & ~(long)(PAGE_SIZE - 1);
    void *p = mmap(NULL, (size_t)(off + len - page_off), prot, MAP_SHARED, fd, page_off);

    if (p == MAP_FAILED)
        fail("mmap failed");
    *delta = off - page_off;
    return p;
}

static void set_size(long size)
{
    if (ftruncate(fd, size) < 0)
        fail("ftruncate failed");
    if (size < file_size)
        memset(shadow + size, 0, (size_t)(file_size - size));
    file_size = size;
}

/* New data for [off, off+len): depends on the op number so stale data is caught. */
static void fill_shadow(long off, long len)
{
    for (long i = 0; i < len; i++)
        shadow[off + i] = (unsigned char)((off + i) * 3 + opnum * 7 + 1);
}

static void do_read(long off, long len)
{
    if (pread_full(fd, buf, (size_t)len, off) != len)
        fail("short pread");
    check_range(buf, off, len, "read");
}

static void do_mapread(long off, long len)
{
    long delta;
    unsigned char *p = map_region(off, len, PROT_READ, &delta);

    check_range(p + delta, off, len, "mapread");
    munmap(p, (size_t)(len + delta));
}

static void do_write(long off, long len)
{
    fill_shadow(off, len);
    if (pwrite_all(fd, shadow + off, (size_t)len, off) != len)
        fail("short pwrite");
    if (off + len > file_size)
        file_size = off + len;
}

static void do_mapwrite(long off, long len)
{
    long delta;

    if (off + len > file_size)
        set_size(off + len); /* a mapping cannot extend the file */
    fill_shadow(off, len);
    unsigned char *p = map_region(off, len, PROT_READ | PROT_WRITE, &delta);
    memcpy(p + delta, shadow + off, (size_t)len);
    if (msync(p, (size_t)(len + delta), MS_SYNC) < 0)
        fail("msync failed");
    munmap(p, (size_t)(len + delta));
}

static void do_truncate(long size)
{
    struct stat st;

    set_size(size);
    if (fstat(fd, &st) < 0 || st.st_size != size)
        fail("file size after ftruncate is wrong");
}

static enum op_type pick_type(void)
{
    static const enum op_type table[10] = {OP_READ,     OP_READ,     OP_WRITE,    OP_WRITE,    OP_MAPREAD,
                                           OP_MAPREAD,  OP_MAPWRITE, OP_MAPWRITE, OP_TRUNCATE, OP_FSYNC};
    enum op_type t = table[rand_below(&rng, 10)];

    if (mmap_only && t == OP_READ)
        return OP_MAPREAD;
    if (mmap_only && t == OP_WRITE)
        return OP_MAPWRITE;
    return t;
}

static long min_long(long a, long b) { return a < b ? a : b; }

/* Chooses the op's range, logs it, then runs it. */
static void run_op(void)
{
    struct op_entry *e = &oplog[opnum % LOG_SIZE];

    e->num = opnum;
    e->type = pick_type();
    e->size = file_size;
    e->off = e->len = 0;
    if (e->type == OP_READ || e->type == OP_MAPREAD) {
        if (file_size > 0) {
            e->off = (long)rand_below(&rng, (uint64_t)file_size);
            e->len = 1 + (long)rand_below(&rng, (uint64_t)min_long(maxoplen, file_size - e->off));
        }
    } else if (e->type == OP_WRITE || e->type == OP_MAPWRITE) {
        e->off = (long)rand_below(&rng, (uint64_t)maxlen);
        e->len = 1 + (long)rand_below(&rng, (uint64_t)min_long(maxoplen, maxlen - e->off));
    } else if (e->type == OP_TRUNCATE) {
        e->len = (long)rand_below(&rng, (uint64_t)maxlen + 1);
    }
    counts[e->type]++;
    if (verbose)
        print_op(e);
    switch (e->type) {
    case OP_READ:
        if (e->len)
            do_read(e->off, e->len);
        break;
    case OP_MAPREAD:
        if (e->len)
            do_mapread(e->off, e->len);
        break;
    case OP_WRITE:
        do_write(e->off, e->len);
        break;
    case OP_MAPWRITE:
        do_mapwrite(e->off, e->len);
        break;
    case OP_TRUNCATE:
        do_truncate(e->len);
        break;
    default:
        if (fsync(fd) < 0)
            fail("fsync failed");
        break;
    }
}

/* Final pass: the whole file must match the shadow, and have the right size. */
static void check_whole_file(void)
{
    struct stat st;

    if (fstat(fd, &st) < 0 || st.st_size != file_size)
        fail("final file size is wrong");
    for (long off = 0; off < file_size; off += maxoplen) {
        long len = min_long(maxoplen, file_size - off);
        if (pread_full(fd, buf, (size_t)len, off) != len)
            fail("short pread in final check");
        check_range(buf, off, len, "final read");
    }
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    maxoplen = maxlen / 4 > 0 ? maxlen / 4 : 1;
    rng = rand_init(seed);
    shadow = calloc(1, (size_t)maxlen);
    buf = malloc((size_t)maxoplen);
    if (!shadow || !buf)
        die(2, "fsx: out of memory for maxlen %ld", maxlen);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die(2, "fsx: cannot create %s", path);
    printf("fsx: %s, %ld ops, seed %lu, maxlen %ld%s\n", path, nops, seed, maxlen, mmap_only ? ", mmap only" : "");
    for (opnum = 1; opnum <= nops; opnum++)
        run_op();
    opnum = nops;
    check_whole_file();
    close(fd);
    printf("fsx: %ld ops ok (read %ld, write %ld, mapread %ld, mapwrite %ld, truncate %ld, fsync %ld), final size %ld\n",
           nops, counts[OP_READ], counts[OP_WRITE], counts[OP_MAPREAD], counts[OP_MAPWRITE], counts[OP_TRUNCATE],
           counts[OP_FSYNC], file_size);
    return 0;
}
