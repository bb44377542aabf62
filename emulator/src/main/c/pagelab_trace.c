/*
 * Native instruction and memory-access tracing for pagelab's virtual CPUs (installed only while a
 * trace is on; `bench hw` and untraced runs never load this library's hooks).
 *
 * pagelab_trace_insn is a UC_HOOK_CODE callback; pagelab_trace_mem a UC_HOOK_MEM_READ_AFTER |
 * UC_HOOK_MEM_WRITE callback. Both append fixed-size records of 64-bit words to a buffer owned by
 * the Java side; when the buffer is nearly full, the code hook calls the Java drain (an upcall)
 * before recording the next instruction, so an instruction and its accesses arrive in one batch.
 *
 * Record layouts (word 0 is the header: kind << 56 | size << 48 | instruction index in this run):
 *   instruction (5 words): header, rip, physical address of rip (or ~0), bytes 0-7, bytes 8-15
 *   memory      (4 words): header, physical address (what libunicorn's memory hooks report under
 *               paging: the address the access really used, stale TLB entry or not), 0, value
 * The Java side names the virtual address of a memory record (word 1) and moves the physical one
 * to word 2. An instruction's physical address comes from a walk of the current page tables.
 */
#include <stdint.h>
#include <string.h>
#include <unicorn/unicorn.h>

#define KIND_INSN 1ULL
#define KIND_READ 2ULL
#define KIND_WRITE 3ULL
#define INSN_WORDS 5
#define MEM_WORDS 4
#define NO_PA (~0ULL)
#define PTE_P 1ULL
#define PTE_PS (1ULL << 7)
#define PTE_ADDR 0x000ffffffffff000ULL

struct pagelab_trace {
    uint64_t *records;       /* the buffer */
    uint64_t capacity;       /* in words */
    uint64_t used;           /* words filled; the drain resets it to 0 */
    uint64_t index;          /* instructions begun in this run, at every address */
    uint64_t lo, hi;         /* record instructions with lo <= rip <= hi only */
    const uint8_t *ram;      /* host address of guest physical 0 */
    uint64_t ram_size;
    uint64_t cr3;            /* page-table root the engine runs on */
    void (*drain)(void);     /* Java: consume records[0, used), then set used = 0 */
    uint64_t skip;           /* instructions at the start of the run not to record (the iretq) */
    uint64_t reserve;        /* words to keep free after an instruction record for its accesses */
};

static uint64_t load_entry(const struct pagelab_trace *t, uint64_t pa)
{
    uint64_t v;
    if (pa + 8 > t->ram_size) {
        return 0;
    }
    memcpy(&v, t->ram + pa, 8);
    return v;
}

/* A 4-level walk without side effects (no A/D bits): the physical address or NO_PA. */
static uint64_t translate(const struct pagelab_trace *t, uint64_t va)
{
    uint64_t table = t->cr3 & PTE_ADDR;
    for (int level = 3; level >= 0; level--) {
        int shift = 12 + 9 * level;
        uint64_t e = load_entry(t, table + 8 * ((va >> shift) & 0x1ff));
        if (!(e & PTE_P)) {
            return NO_PA;
        }
        if (level == 0 || ((level == 1 || level == 2) && (e & PTE_PS))) {
            uint64_t mask = (1ULL << shift) - 1;
            return ((e & PTE_ADDR) & ~mask) | (va & mask);
        }
        table = e & PTE_ADDR;
    }
    return NO_PA;
}

static void copy_bytes(const struct pagelab_trace *t, uint64_t va, uint64_t pa, uint32_t size, uint8_t *out)
{
    uint32_t first = (uint32_t)(4096 - (va & 4095));
    if (first > size) {
        first = size;
    }
    if (pa != NO_PA && pa + first <= t->ram_size) {
        memcpy(out, t->ram + pa, first);
    }
    if (first < size) {
        uint64_t pa2 = translate(t, va + first);
        if (pa2 != NO_PA && pa2 + (size - first) <= t->ram_size) {
            memcpy(out + first, t->ram + pa2, size - first);
        }
    }
}

void pagelab_trace_insn(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)
{
    struct pagelab_trace *t = user_data;
    (void)uc;
    uint64_t i = t->index++;
    if (i < t->skip || address < t->lo || address > t->hi) {
        return;
    }
    if (t->used + INSN_WORDS + t->reserve > t->capacity) {
        t->drain();
    }
    uint64_t *r = t->records + t->used;
    uint8_t bytes[16] = {0};
    uint32_t n = size > 15 ? 15 : size;
    uint64_t pa = translate(t, address);
    copy_bytes(t, address, pa, n, bytes);
    r[0] = KIND_INSN << 56 | (uint64_t)n << 48 | (i - t->skip);
    r[1] = address;
    r[2] = pa;
    memcpy(&r[3], bytes, 16);
    t->used += INSN_WORDS;
}

void pagelab_trace_mem(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value,
                       void *user_data)
{
    struct pagelab_trace *t = user_data;
    (void)uc;
    if (t->index <= t->skip) {
        return;
    }
    uint64_t i = t->index - 1 - t->skip;
    if (t->used + MEM_WORDS > t->capacity) {
        t->drain();
    }
    uint64_t kind = type == UC_MEM_WRITE ? KIND_WRITE : KIND_READ;
    uint64_t *r = t->records + t->used;
    r[0] = kind << 56 | (uint64_t)(size & 0xff) << 48 | i;
    r[1] = address;
    r[2] = 0;
    r[3] = (uint64_t)value;
    t->used += MEM_WORDS;
}

/*
 * pagelab_debug_insn: the debugger's UC_HOOK_CODE callback (installed only while a debugger is
 * attached). Before each instruction it decides whether the machine must stop there: an
 * interrupt request from another thread, the end of a single step (before the second
 * instruction of the run), a watchpoint the previous instruction hit, or a breakpoint (except
 * the one the run resumes from). On a stop it records the reason and stops the engine before the
 * instruction executes. pagelab_debug_mem (a memory hook, installed only while watchpoints
 * exist) only notes a hit: stopping from inside an access would stop at a block boundary, the
 * next instruction's check stops exactly after the accessing instruction.
 */
#define DEBUG_MAX_BREAKPOINTS 64
#define DEBUG_MAX_WATCHES 16
#define WATCH_WRITE 2
#define WATCH_READ 3
#define WATCH_ACCESS 4

struct pagelab_watch {
    uint64_t lo, hi;            /* physical range [lo, hi) */
    uint64_t type;              /* WATCH_WRITE, WATCH_READ or WATCH_ACCESS (gdb's Z2, Z3, Z4) */
};

struct pagelab_debug {
    uint64_t index;             /* instructions begun in this run (including skipped ones) */
    uint64_t skip;              /* instructions at the start of the run never stopped at (the iretq) */
    uint64_t step;              /* stop before the second instruction of this run */
    uint64_t resume_rip;        /* no breakpoint stop at this rip as the run's first instruction */
    volatile uint64_t stop_now; /* set by another thread: stop before the next instruction */
    uint64_t stopped;           /* 0, or why this hook stopped the engine: 1 breakpoint, 2 step, 3 interrupt */
    uint64_t stopped_index;     /* index (after skip) of the instruction stopped before */
    uint64_t count;             /* breakpoints in use */
    uint64_t addrs[DEBUG_MAX_BREAKPOINTS];
    uint64_t watch_count;       /* watchpoints in use */
    uint64_t watch_hit;         /* 0, or 1 + the index of the watchpoint an access hit */
    uint64_t watch_pa;          /* the physical address of that access (within the watch) */
    struct pagelab_watch watches[DEBUG_MAX_WATCHES];
};

void pagelab_debug_insn(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)
{
    struct pagelab_debug *d = user_data;
    (void)size;
    uint64_t i = d->index;
    if (i < d->skip) {
        d->index++;
        return;
    }
    uint64_t n = i - d->skip;
    uint64_t reason = 0;
    if (d->watch_hit) {
        reason = 4;
    } else if (d->stop_now) {
        reason = 3;
    } else if (d->step && n >= 1) {
        reason = 2;
    } else if (!(n == 0 && address == d->resume_rip)) {
        for (uint64_t k = 0; k < d->count && k < DEBUG_MAX_BREAKPOINTS; k++) {
            if (d->addrs[k] == address) {
                reason = 1;
                break;
            }
        }
    }
    if (reason != 0) {
        d->stopped = reason;
        d->stopped_index = n;
        uc_emu_stop(uc);
        return;
    }
    d->index++;
}

void pagelab_debug_mem(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value, void *user_data)
{
    struct pagelab_debug *d = user_data;
    (void)uc;
    (void)value;
    if (d->watch_hit || d->index <= d->skip) {
        return;
    }
    uint64_t end = address + (uint64_t)size;
    for (uint64_t k = 0; k < d->watch_count && k < DEBUG_MAX_WATCHES; k++) {
        struct pagelab_watch *w = &d->watches[k];
        int kind_matches = w->type == WATCH_ACCESS || (w->type == WATCH_WRITE) == (type == UC_MEM_WRITE);
        if (kind_matches && address < w->hi && end > w->lo) {
            d->watch_hit = k + 1;
            d->watch_pa = address > w->lo ? address : w->lo;
            return;
        }
    }
}
