/* aptdb FILE [RECORDS] [BATCHES] [SEED] - in-place record updates through a MAP_SHARED file mapping + msync. */
#include "rand.h"
#include "stdio.h"
#include "stdlib.h"
#include "string.h"
#include "sys.h"

#define RECORD_MAGIC 0x52545041u /* "APTR" */
#define UPDATES_PER_BATCH 8

/* One fixed-size 64-byte record. */
struct record {
    uint32_t magic;
    uint32_t id;
    uint64_t version;
    uint8_t payload[40];
    uint64_t checksum; /* FNV-1a over the 56 bytes before it */
};
_Static_assert(sizeof(struct record) == 64, "records are 64 bytes");

static uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
    const uint8_t *b = p;

    while (n--)
        h = (h ^ *b++) * 0x100000001b3ULL;
    return h;
}

#define FNV_SEED 0xcbf29ce484222325ULL

static void seal(struct record *r) { r->checksum = fnv1a(r, offsetof(struct record, checksum), FNV_SEED); }

static void make_record(struct record *r, uint32_t id, uint64_t version, uint64_t bits)
{
    r->magic = RECORD_MAGIC;
    r->id = id;
    r->version = version;
    for (size_t j = 0; j < sizeof(r->payload); j++)
        r->payload[j] = (uint8_t)((bits >> (8 * (j % 8))) ^ (j * 29) ^ id);
    seal(r);
}

static long arg_or(int argc, char **argv, int i, long dflt)
{
    long v = dflt;

    if (argc > i && (parse_long(argv[i], &v) < 0 || v <= 0 || v > 1000000))
        die(2, "usage: aptdb FILE [RECORDS] [BATCHES] [SEED] (numbers 1..1000000)");
    return v;
}

/* A record is good if it is sealed correctly and equals its shadow copy. */
static void check_record(const struct record *got, const struct record *want, uint32_t i, const char *how)
{
    struct record tmp = *got;

    seal(&tmp);
    if (tmp.checksum != got->checksum)
        die(1, "aptdb: FAIL: record %u (%s): bad checksum 0x%016lx", i, how, got->checksum);
    if (memcmp(got, want, sizeof(*got)) != 0)
        die(1, "aptdb: FAIL: record %u (%s): id %u version %lu, expected id %u version %lu", i, how, got->id,
            got->version, want->id, want->version);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die(2, "usage: aptdb FILE [RECORDS] [BATCHES] [SEED]");
    const char *path = argv[1];
    uint32_t nrec = (uint32_t)arg_or(argc, argv, 2, 256);
    long batches = arg_or(argc, argv, 3, 16);
    long seed = arg_or(argc, argv, 4, 1);
    size_t size = (size_t)nrec * sizeof(struct record);
    uint64_t rng = rand_init((uint64_t)seed);
    struct record *shadow = calloc(nrec, sizeof(struct record));

    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || !shadow)
        die(2, "aptdb: cannot create %s", path);
    if (ftruncate(fd, (off_t)size) < 0)
        die(1, "aptdb: FAIL: ftruncate failed");
    struct record *db = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (db == MAP_FAILED)
        die(1, "aptdb: FAIL: mmap failed");

    for (uint32_t i = 0; i < nrec; i++) {
        make_record(&shadow[i], i, 0, i * 0x9e3779b97f4a7c15ULL);
        db[i] = shadow[i];
    }
    if (msync(db, size, MS_SYNC) < 0)
        die(1, "aptdb: FAIL: initial msync failed");
    printf("aptdb: created %u records (%zu bytes), seed %ld\n", nrec, size, seed);

    for (long b = 0; b < batches; b++) {
        for (int u = 0; u < UPDATES_PER_BATCH; u++) {
            uint32_t i = (uint32_t)rand_below(&rng, nrec);
            make_record(&shadow[i], i, shadow[i].version + 1, rand_next(&rng));
            db[i] = shadow[i]; /* in place, through the shared mapping */
        }
        if (msync(db, size, MS_SYNC) < 0)
            die(1, "aptdb: FAIL: msync after batch %ld failed", b);
    }
    printf("aptdb: %ld batches of %d updates, msync after each\n", batches, UPDATES_PER_BATCH);

    for (uint32_t i = 0; i < nrec; i++)
        check_record(&db[i], &shadow[i], i, "mapping");
    printf("aptdb: verified %u records via the mapping\n", nrec);
    if (munmap(db, size) < 0 || close(fd) < 0)
        die(1, "aptdb: FAIL: munmap/close failed");

    fd = open(path, O_RDONLY, 0);
    if (fd < 0)
        die(1, "aptdb: FAIL: cannot reopen %s", path);
    for (uint32_t i = 0; i < nrec; i++) {
        struct record r;
        if (pread_full(fd, &r, sizeof(r), (off_t)i * (off_t)sizeof(r)) != (ssize_t)sizeof(r))
            die(1, "aptdb: FAIL: short pread of record %u", i);
        check_record(&r, &shadow[i], i, "pread");
    }
    close(fd);
    printf("aptdb: verified %u records via pread\n", nrec);
    printf("aptdb: digest 0x%016lx\n", fnv1a(shadow, size, FNV_SEED));
    printf("aptdb: ok\n");
    return 0;
}
