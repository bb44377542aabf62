/* yes [WORD] - writes WORD (default y) and a newline forever; on a write error says which errno and exits 1. */
#include "errno.h"
#include "stdio.h"
#include "string.h"
#include "sys.h"

int main(int argc, char **argv)
{
    char line[256];
    const char *word = argc > 1 ? argv[1] : "y";
    size_t n = strlen(word);
    if (n > sizeof line - 1)
        n = sizeof line - 1;
    memcpy(line, word, n);
    line[n++] = '\n';
    for (;;) {
        if (write(1, line, n) < 0) {
            dprintf(2, "yes: write error: errno %d\n", errno);
            return 1;
        }
    }
}
