/* race1fsync FILE [ROUNDS] - R1 (seed 003): write() + fsync while the journal and the flusher are
 * busy with the same pages. Each round rewrites a few bytes of every buffer of two pages with
 * write(), naps so kjournald locks and writes those buffers and the flusher finds the pages
 * expired, writes again and fsyncs. On a kernel without the fix the flusher's
 * test_clear_page_dirty hides a page from fsync's DIRTY-tag walk while ->writepage, finding a
 * buffer locked by the journal, redirties it: --check-durability sees fsync return early. */
#include "racefmt.h"
#include "stdlib.h"

#define SIZE (2 * 4096)

static unsigned char shadow[SIZE] __attribute__((aligned(8)));

static void update(int fd, long round, int pass)
{
    for (long off = 0; off < SIZE; off += 1024) {
        unsigned char b[8];

        for (int i = 0; i < 8; i++)
            b[i] = (unsigned char)(round * 31 + pass * 7 + off / 1024 + i);
        memcpy(shadow + off + pass * 8, b, sizeof(b));
        if (pwrite_all(fd, b, sizeof(b), (off_t)(off + pass * 8)) < 0)
            die(1, "race1fsync: FAIL: pwrite failed");
    }
}

int main(int argc, char **argv)
{
    long rounds = 6;

    if (argc < 2 || (argc > 2 && (parse_long(argv[2], &rounds) < 0 || rounds < 1 || rounds > 1000)))
        die(2, "usage: race1fsync FILE [ROUNDS 1..1000]");
    for (size_t i = 0; i < SIZE; i++)
        shadow[i] = (unsigned char)(i * 13 + 5);
    int fd = race_create("race1fsync", argv[1], shadow, SIZE);
    for (long r = 0; r < rounds; r++) {
        update(fd, r, 0);
        race_nap(700); /* kjournald locks, cleans and writes the buffers */
        update(fd, r, 1);
        race_nap(700); /* the pages are now older than the flusher's expiry */
        update(fd, r, 2);
        if (r % 2 ? fdatasync(fd) < 0 : fsync(fd) < 0)
            die(1, "race1fsync: FAIL: fsync failed in round %ld", r);
    }
    race_verify("race1fsync", fd, shadow, SIZE);
    close(fd);
    printf("race1fsync: %ld rounds of write+fsync on 2 pages with the journal and flusher busy, file verified\n",
           rounds);
    return 0;
}
