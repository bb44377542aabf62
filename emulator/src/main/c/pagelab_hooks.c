/*
 * Native run loop and hooks for pagelab's counting virtual CPUs: exact retired-instruction counts
 * and exact budgets WITHOUT a hook on every instruction.
 *
 * How it counts. A UC_HOOK_BLOCK callback runs at the start of every translated block (TB), before
 * the block's exit-request check, so a uc_emu_stop() there stops the engine before the block's
 * first instruction. Each block's instruction count is asked from libunicorn once
 * (uc_ctl UC_CTL_TB_REQUEST_CACHE, outside emulation) and cached, keyed by the block's call site: the
 * hook is called directly from the block's own host code (libunicorn inlines a lone block hook), so
 * the return address identifies the translated block itself - unlike its guest address, which two
 * processes share. A block that is not in the cache stops the engine before it runs; the loop
 * below resolves it and resumes. The cache is direct-mapped with one victim entry per slot (two hot
 * blocks in one slot swap instead of missing); every entry also records the block's guest address,
 * and the cache is dropped with the translation cache (pagelab_flush_tb, or here before
 * libunicorn's code buffer could fill up and flush on its own), so a stale entry is never used.
 *
 * How budgets stay exact. When a whole block would exceed the budget, the hook stops before it and
 * the loop sets RFLAGS.TF: QEMU then translates one-instruction blocks (cached separately, keyed by
 * the flags) and raises #DB after each; the interrupt hook swallows those #DBs and the block hook
 * counts and stops exactly at the budget. TF is cleared again before the run returns. Unlike
 * hardware, a pushf inside those last few instructions of a budget would see TF set.
 *
 * How a fault mid-block is counted. A block's count is added when it starts; when an exception
 * ends it early at RIP r, the instructions from the block's start up to r are counted by walking
 * one-instruction (TF) translations from the start to r - QEMU's own decoder, so the boundaries
 * are exactly the ones the block was translated with.
 *
 * With a code hook (a trace, a debugger). Unlike without one, libunicorn does not restore RIP when a
 * block stops on the request before its first instruction: RIP still names the last instruction
 * whose code hook ran (the jump into the block, already retired). Every stop before a block
 * records the block's address and the loop puts RIP back there (put_back_rip), so a traced run
 * stops and resumes exactly where an untraced one does.
 *
 * Guest breakpoints (the shell's `break ADDRESS`). While any are set, every block takes the slow
 * path, which looks for a breakpoint among the block's bytes: one at the block's first instruction
 * stops the engine before the block (nothing of it runs or is counted; `hit` names the address);
 * one further inside makes the loop single-step the block (TF, as for a budget's tail), so the
 * one-instruction block at the breakpoint stops the same way. As with the per-instruction hook
 * this replaces, the first user instruction of a run never stops, so a run resumed at a
 * breakpoint goes past it, and kernel addresses never stop.
 *
 * Everything here runs on the thread that drives the engine; nothing is shared between CPUs.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#define PAGELAB_TF (1ULL << 8)
#define PAGELAB_VECTOR_DB 1
#define PAGELAB_VECTOR_PF 14
#define PAGELAB_PF_FETCH 0x10
#define PAGELAB_USER_TOP 0x0000800000000000ULL
#define PAGELAB_MAX_BREAKS 32
#ifndef TABLE_BITS
#define TABLE_BITS 16
#endif
#define TABLE_SIZE (1u << TABLE_BITS)
#define MAX_RESTARTS_AT_ONE_PC 16
#ifndef SINGLE_STEP_BUDGET
#define SINGLE_STEP_BUDGET 8 /* budgets up to this are single-stepped from their first instruction */
#endif

/* Why pagelab_run returned (the Java side maps these to VmExit). */
enum pagelab_exit {
    PAGELAB_EXIT_BUDGET = 1,    /* the budget is used up; RIP is the next instruction */
    PAGELAB_EXIT_SYSCALL = 2,   /* syscall executed; RIP is past it */
    PAGELAB_EXIT_INTERRUPT = 3, /* an exception: vector, cr2, error_code */
    PAGELAB_EXIT_INVALID = 4,   /* an undecodable instruction (#UD); RIP is at it */
    PAGELAB_EXIT_HALT = 5,      /* the engine reached the until address, or another hook stopped it */
    PAGELAB_EXIT_BREAKPOINT = 6, /* before the instruction at a breakpoint (hit); RIP is at it */
};

/* What a hook asked the loop to do after uc_emu_start returned. */
enum pagelab_stop { STOP_NONE, STOP_MISS, STOP_TAIL, STOP_BUDGET, STOP_SYSCALL, STOP_INTERRUPT, STOP_BREAKPOINT };

struct block_entry {
    uint64_t site;   /* return address of the hook call inside the block's host code; 0 = empty */
    uint64_t pc;     /* the block's guest address */
    uint32_t size;   /* its guest size in bytes */
    uint32_t icount; /* its instruction count */
};

/*
 * One counting CPU. The first fields are read and written by the Java side at fixed offsets
 * (UnicornVcpu.NativeCpu mirrors them); keep the two in step.
 */
struct pagelab_cpu {
    /* 0  */ uint64_t retired;     /* out: instructions retired by the last pagelab_run */
    /* 8  */ int32_t reason;       /* out: enum pagelab_exit */
    /* 12 */ int32_t vector;       /* out: the exception vector (EXIT_INTERRUPT) */
    /* 16 */ uint64_t cr2;         /* out: CR2 of a #PF */
    /* 24 */ int32_t error_code;   /* out: the #PF error code */
    /* 28 */ int32_t failure;      /* out: nonzero when the run failed; see pagelab_failure */
    /* 32 */ uint64_t misses;      /* statistics: blocks resolved, tails, corrections, own flushes */
    /* 40 */ uint64_t tails;
    /* 48 */ uint64_t corrections;
    /* 56 */ uint64_t flushes;
    /* 64 */ uint64_t rip;         /* out: RIP where the run stopped */
    /* 72 */ uint64_t hit;         /* out: the breakpoint the run stopped before (EXIT_BREAKPOINT), else 0 */
    /* 80 */ uint64_t nbreaks;     /* in, between runs: entries used in breaks[] */
    /* 88 */ uint64_t breaks[PAGELAB_MAX_BREAKS]; /* in: user breakpoint addresses */
    /* ---- private ---- */
    uc_engine *uc;
    uc_context *context;
    int32_t off_old_exception, off_error_code;
    uint64_t until;
    /* per run */
    uint64_t start;                /* the budget this run began with (UINT64_MAX: no limit) */
    uint64_t remaining;            /* what it still allows; 0 while a stop is pending */
    uint64_t held;                 /* remaining as it was when the pending stop was requested */
    enum pagelab_stop stop;
    uint64_t stop_pc;              /* the block a stop before a block was requested at (else 0) */
    int tail;                      /* RFLAGS.TF was set by this run */
    int user_started;              /* a user block has been let run (breakpoints only) */
    uint64_t miss_site, miss_pc;
    uint32_t miss_size;
    struct block_entry last;       /* a copy of the last block entered this run (site 0: none) */
    /* translation-cache bookkeeping */
    uint64_t min_site;             /* the lowest call site seen since the last flush */
    uint64_t code_buffer_size;     /* libunicorn's TCG buffer, bytes */
    struct block_entry table[TABLE_SIZE];  /* direct-mapped by call site, */
    struct block_entry victim[TABLE_SIZE]; /* and what a newer block displaced from each slot */
};

/* Failure codes for the Java side's message. */
enum pagelab_failure {
    FAIL_NONE = 0,
    FAIL_UC = 1,             /* a uc_* call failed (uc error in vector) */
    FAIL_NOT_INLINED = 2,    /* the block hook is not called from translated code */
    FAIL_MISS_MOVED = 3,     /* the engine did not stop at the missing block */
    FAIL_WALK = 4,           /* instruction boundaries did not line up */
    FAIL_OUTSIDE_BLOCK = 5,  /* an exception outside the last block */
    FAIL_NO_PROGRESS = 6,    /* a block kept missing after being resolved */
};

/* Call sites of distinct blocks lie at least a block prologue apart in the code buffer. */
static inline uint32_t slot(uint64_t site)
{
    return (uint32_t)(site >> 3) & (TABLE_SIZE - 1);
}

/*
 * Asks the engine to stop, and makes the budget look used up meanwhile, so a block still entered
 * before the engine sees the request (a chained jump) goes to the slow path and is not counted.
 */
static void request_stop(uc_engine *uc, struct pagelab_cpu *c, enum pagelab_stop why)
{
    c->stop = why;
    c->held = c->remaining;
    c->remaining = 0;
    uc_emu_stop(uc);
}

/*
 * Asks the engine to stop before the block at pc: none of its instructions runs. The loop puts
 * RIP back at pc afterwards, because with a code hook installed (a trace, a debugger) libunicorn
 * leaves RIP where the last code hook synced it - the previous block's last instruction - when a
 * chained jump's target stops before its first instruction (measured; see pagelab_run).
 */
static void stop_before(uc_engine *uc, struct pagelab_cpu *c, enum pagelab_stop why, uint64_t pc)
{
    request_stop(uc, c, why);
    c->stop_pc = pc;
}

/* ---- hooks: record, maybe stop; nothing else ------------------------------------------------ */

/*
 * The first breakpoint in the block's bytes [pc, pc + size), except at pc when pc is the run's
 * first user instruction; 0 if none.
 */
static uint64_t breakpoint_in(const struct pagelab_cpu *c, uint64_t pc, uint32_t size)
{
    uint64_t found = 0;
    for (uint64_t i = 0; i < c->nbreaks && i < PAGELAB_MAX_BREAKS; i++) {
        uint64_t b = c->breaks[i];
        if (b >= pc && b - pc < size && !(b == pc && !c->user_started) && (found == 0 || b < found)) {
            found = b;
        }
    }
    return found;
}

/*
 * Not cached, over budget, breakpoints set, or a stop is pending: stop before the block (it does
 * not run), or let it run and count it.
 */
static __attribute__((noinline)) void on_block_slow(uc_engine *uc, struct pagelab_cpu *c, struct block_entry *e,
                                                    uint64_t site, uint64_t pc, uint32_t size)
{
    if (c->stop != STOP_NONE) {
        return; /* entered only to see the pending stop and leave */
    }
    if (e->site != site || e->pc != pc) {
        struct block_entry *v = &c->victim[slot(site)];
        if (v->site != site || v->pc != pc) {
            c->miss_site = site;
            c->miss_pc = pc;
            c->miss_size = size;
            stop_before(uc, c, STOP_MISS, pc);
            return;
        }
        struct block_entry displaced = *e; /* two blocks share the slot: swap them */
        *e = *v;
        *v = displaced;
    }
    if (c->remaining == 0) {
        stop_before(uc, c, STOP_BUDGET, pc); /* the budget ends first, as it did per instruction */
        return;
    }
    if (c->nbreaks != 0 && pc < PAGELAB_USER_TOP) {
        uint64_t b = breakpoint_in(c, pc, size);
        if (b == pc) {
            c->hit = b;
            stop_before(uc, c, STOP_BREAKPOINT, pc);
            return;
        }
        if (b != 0 && !c->tail) {
            stop_before(uc, c, STOP_TAIL, pc); /* single-step up to it */
            return;
        }
        /* (b inside a one-instruction block: not an instruction boundary, never reached) */
    }
    if (e->icount <= c->remaining) {
        c->remaining -= e->icount;
        c->last = *e;
        if (pc < PAGELAB_USER_TOP) {
            c->user_started = 1;
        }
        return;
    }
    stop_before(uc, c, STOP_TAIL, pc);
}

/* The hot path: one table probe and a subtraction per translated block. */
static void on_block(uc_engine *uc, uint64_t pc, uint32_t size, void *user_data)
{
    struct pagelab_cpu *c = user_data;
    uint64_t site = (uint64_t)(uintptr_t)__builtin_return_address(0);
    struct block_entry *e = &c->table[slot(site)];
    if (__builtin_expect(e->site == site && e->pc == pc && e->icount <= c->remaining && c->nbreaks == 0, 1)) {
        c->remaining -= e->icount;
        c->last = *e;
        return;
    }
    on_block_slow(uc, c, e, site, pc, size);
}

/* The double-fault remedy of hardware-facts.md section 4, and the #PF error code. */
static int forget_exception(struct pagelab_cpu *c, int read_error_code)
{
    if (uc_context_save(c->uc, c->context) != UC_ERR_OK) {
        return -1;
    }
    char *bytes = (char *)c->context;
    if (read_error_code) {
        memcpy(&c->error_code, bytes + c->off_error_code, sizeof(int32_t));
    }
    int32_t none = -1;
    memcpy(bytes + c->off_old_exception, &none, sizeof none);
    return uc_context_restore(c->uc, c->context) == UC_ERR_OK ? 0 : -1;
}

static void on_interrupt(uc_engine *uc, uint32_t intno, void *user_data)
{
    struct pagelab_cpu *c = user_data;
    if (intno == PAGELAB_VECTOR_DB && c->tail) {
        return; /* our own single-step trap: the instruction retired, go on */
    }
    c->vector = (int32_t)intno;
    if (intno == PAGELAB_VECTOR_PF) {
        uc_reg_read(uc, UC_X86_REG_CR2, &c->cr2);
    }
    if (forget_exception(c, intno == PAGELAB_VECTOR_PF) != 0) {
        c->failure = FAIL_UC;
    }
    request_stop(uc, c, STOP_INTERRUPT);
}

static void on_syscall(uc_engine *uc, void *user_data)
{
    request_stop(uc, user_data, STOP_SYSCALL);
}

/* ---- the loop's helpers --------------------------------------------------------------------- */

static uint64_t read_reg(struct pagelab_cpu *c, int reg)
{
    uint64_t v = 0;
    uc_reg_read(c->uc, reg, &v);
    return v;
}

static void set_tf(struct pagelab_cpu *c, int on)
{
    uint64_t flags = read_reg(c, UC_X86_REG_RFLAGS);
    uint64_t want = on ? flags | PAGELAB_TF : flags & ~PAGELAB_TF;
    if (want != flags) {
        uc_reg_write(c->uc, UC_X86_REG_RFLAGS, &want);
    }
}

/*
 * Counts the instructions in [from, to) by asking for the one-instruction translation at each
 * boundary (TF set): QEMU's decoder, the same boundaries the block had. 0 on success.
 */
static int count_between(struct pagelab_cpu *c, uint64_t from, uint64_t to, uint32_t *count)
{
    uint64_t flags = read_reg(c, UC_X86_REG_RFLAGS);
    int had_tf = (flags & PAGELAB_TF) != 0;
    if (!had_tf) {
        set_tf(c, 1);
    }
    uint32_t n = 0;
    uint64_t x = from;
    int rc = 0;
    while (x < to) {
        uc_tb tb;
        if (uc_ctl_request_cache(c->uc, x, &tb) != UC_ERR_OK || tb.pc != x || tb.size == 0 || tb.icount != 1) {
            rc = -1;
            break;
        }
        x += tb.size;
        n++;
    }
    if (!had_tf) {
        set_tf(c, 0);
    }
    if (rc != 0 || x != to) {
        return -1;
    }
    *count = n;
    return 0;
}

static void forget_blocks(struct pagelab_cpu *c)
{
    memset(c->table, 0, sizeof c->table);
    memset(c->victim, 0, sizeof c->victim);
    c->min_site = UINT64_MAX;
}

/*
 * After a stop before a block: RIP must be that block's first instruction. Unlike QEMU, libunicorn
 * does not restore the PC from a block that exits on the stop request at its start while any
 * UC_HOOK_CODE is installed (it trusts the code hooks to have synced it), so RIP still names the
 * last instruction whose code hook ran - the one that jumped there, already retired. Resuming from
 * it ran that instruction twice (a traced replay went one instruction behind, then another way).
 * Untraced, RIP is already right: one register read. The uc_err of the write.
 */
static uc_err put_back_rip(struct pagelab_cpu *c)
{
    if (read_reg(c, UC_X86_REG_RIP) == c->stop_pc) {
        return UC_ERR_OK;
    }
    return uc_reg_write(c->uc, UC_X86_REG_RIP, &c->stop_pc);
}

/* The block that stopped the engine is not cached yet: ask libunicorn for its count. 0 on success. */
static int resolve_miss(struct pagelab_cpu *c)
{
    Dl_info info;
    if (dladdr((void *)(uintptr_t)c->miss_site, &info) != 0) {
        return FAIL_NOT_INLINED; /* called from a library, not from translated code: not a key */
    }
    if (read_reg(c, UC_X86_REG_RIP) != c->miss_pc) {
        return FAIL_MISS_MOVED;
    }
    uc_tb tb;
    uint32_t icount;
    if (uc_ctl_request_cache(c->uc, c->miss_pc, &tb) == UC_ERR_OK && tb.pc == c->miss_pc
            && tb.size == c->miss_size && tb.icount > 0) {
        icount = tb.icount;
    } else if (count_between(c, c->miss_pc, c->miss_pc + c->miss_size, &icount) != 0) {
        /* e.g. a one-instruction block QEMU made after self-modifying code: walk it instead */
        return FAIL_WALK;
    }
    if (c->miss_site > c->min_site && c->miss_site - c->min_site > c->code_buffer_size / 4 * 3) {
        /*
         * New blocks are placed at growing addresses until the code buffer is flushed: flush
         * before libunicorn has to (it would reuse call sites behind this cache's back).
         */
        uc_ctl_flush_tb(c->uc);
        forget_blocks(c);
        c->flushes++;
        return 0; /* the block is translated again, at a new site, and resolved then */
    }
    struct block_entry *e = &c->table[slot(c->miss_site)];
    if (e->site != 0) {
        c->victim[slot(c->miss_site)] = *e;
    }
    e->site = c->miss_site;
    e->pc = c->miss_pc;
    e->size = c->miss_size;
    e->icount = icount;
    if (c->miss_site < c->min_site) {
        c->min_site = c->miss_site;
    }
    c->misses++;
    return 0;
}

/*
 * After an exception: the last block's count was added when it began; keep only the instructions
 * before RIP. A software-interrupt-like exception (RIP past the block) takes back its own
 * instruction, as the per-instruction counter did. 0 on success.
 */
static int correct_partial_block(struct pagelab_cpu *c)
{
    uint64_t rip = read_reg(c, UC_X86_REG_RIP);
    const struct block_entry *last = &c->last;
    if (last->site == 0) {
        return FAIL_OUTSIDE_BLOCK;
    }
    uint64_t end = last->pc + last->size;
    if (rip >= last->pc && rip < end) {
        uint32_t before;
        if (rip == last->pc) {
            before = 0;
        } else if (count_between(c, last->pc, rip, &before) != 0) {
            return FAIL_WALK;
        }
        c->remaining += last->icount - before;
        c->corrections++;
        return 0;
    }
    if (rip == end) {
        c->remaining += 1;
        return 0;
    }
    return FAIL_OUTSIDE_BLOCK;
}

/* Exceptions that end a block early and need correct_partial_block. */
static int needs_correction(struct pagelab_cpu *c)
{
    switch (c->reason) {
    case PAGELAB_EXIT_INVALID:
        return 1;
    case PAGELAB_EXIT_INTERRUPT:
        /* A fetch fault is raised while translating, before the block's hook: nothing began. */
        return !(c->vector == PAGELAB_VECTOR_PF && (c->error_code & PAGELAB_PF_FETCH));
    case PAGELAB_EXIT_HALT:
        /* The until address ends a block as an extra pseudo-instruction of its count. */
        return c->last.site != 0 && read_reg(c, UC_X86_REG_RIP) >= c->last.pc
                && read_reg(c, UC_X86_REG_RIP) < c->last.pc + c->last.size;
    default:
        return 0;
    }
}

/* ---- exported ------------------------------------------------------------------------------- */

/*
 * Creates the counting state for engine uc (which must have no other UC_HOOK_BLOCK hook) and
 * installs the block, interrupt and syscall hooks. off_* are the calibrated context offsets of
 * old_exception and error_code. NULL on failure.
 */
struct pagelab_cpu *pagelab_cpu_new(uc_engine *uc, int32_t off_old_exception, int32_t off_error_code,
                                    uint64_t until)
{
    struct pagelab_cpu *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    c->uc = uc;
    c->off_old_exception = off_old_exception;
    c->off_error_code = off_error_code;
    c->until = until;
    forget_blocks(c);
    uint32_t buffer = 0;
    uc_hook h;
    if (uc_context_alloc(uc, &c->context) != UC_ERR_OK
            || uc_ctl_get_tcg_buffer_size(uc, &buffer) != UC_ERR_OK || buffer == 0
            || uc_hook_add(uc, &h, UC_HOOK_BLOCK, (void *)on_block, c, 1, 0) != UC_ERR_OK
            || uc_hook_add(uc, &h, UC_HOOK_INTR, (void *)on_interrupt, c, 1, 0) != UC_ERR_OK
            || uc_hook_add(uc, &h, UC_HOOK_INSN, (void *)on_syscall, c, 1, 0, UC_X86_INS_SYSCALL) != UC_ERR_OK) {
        if (c->context != NULL) {
            uc_context_free(c->context);
        }
        free(c);
        return NULL;
    }
    c->code_buffer_size = buffer;
    return c;
}

/* Frees the state; call after uc_close (the hooks point at it). */
void pagelab_cpu_free(struct pagelab_cpu *c)
{
    if (c != NULL) {
        uc_context_free(c->context);
        free(c);
    }
}

/* Drops every translated block and the counts cached for them. uc error code. */
int pagelab_flush_tb(struct pagelab_cpu *c)
{
    forget_blocks(c);
    return uc_ctl_flush_tb(c->uc);
}

static int finish(struct pagelab_cpu *c, int failure)
{
    if (c->tail) {
        set_tf(c, 0);
        c->tail = 0;
    }
    /* Not only a swallowed exception leaves old_exception set (hardware-facts.md section 7). */
    if (forget_exception(c, 0) != 0 && failure == FAIL_NONE) {
        failure = FAIL_UC;
    }
    c->failure = failure;
    c->retired = c->start - c->remaining;
    c->rip = read_reg(c, UC_X86_REG_RIP);
    return failure;
}

/*
 * Runs from begin (0: from the current RIP) until an exit, retiring at most `limit` instructions (0: no limit), and fills
 * retired/reason/vector/cr2/error_code. Returns 0, or a failure code (also in c->failure; for
 * FAIL_UC the uc_err is in c->vector).
 */
int pagelab_run(struct pagelab_cpu *c, uint64_t begin, uint64_t limit)
{
    c->start = limit == 0 ? UINT64_MAX : limit;
    c->remaining = c->start;
    c->last.site = 0;
    c->tail = 0;
    c->user_started = 0;
    c->hit = 0;
    c->failure = FAIL_NONE;
    c->reason = 0;
    uint64_t pc = begin != 0 ? begin : read_reg(c, UC_X86_REG_RIP);
    if (begin == 0 && limit != 0 && limit <= SINGLE_STEP_BUDGET) {
        /* Shorter than most blocks: step from the start instead of stopping at the first block. */
        set_tf(c, 1);
        c->tail = 1;
        c->tails++;
    }
    int restarts = 0;
    uint64_t restart_pc = UINT64_MAX;
    for (;;) {
        c->stop = STOP_NONE;
        c->stop_pc = 0;
        uc_err err = uc_emu_start(c->uc, pc, c->until, 0, 0);
        if (c->stop != STOP_NONE) {
            c->remaining = c->held; /* what the budget allowed when the stop was requested */
        }
        if (c->stop_pc != 0) {
            uc_err put = put_back_rip(c);
            if (put != UC_ERR_OK) {
                c->vector = put;
                return finish(c, FAIL_UC);
            }
        }
        if (err == UC_ERR_INSN_INVALID) {
            c->reason = PAGELAB_EXIT_INVALID;
            break;
        }
        if (err != UC_ERR_OK) {
            c->vector = err;
            return finish(c, FAIL_UC);
        }
        if (c->failure != FAIL_NONE) {
            return finish(c, c->failure);
        }
        if (c->stop == STOP_MISS || c->stop == STOP_TAIL) {
            pc = read_reg(c, UC_X86_REG_RIP);
            restarts = pc == restart_pc ? restarts + 1 : 0;
            restart_pc = pc;
            if (restarts > MAX_RESTARTS_AT_ONE_PC) {
                return finish(c, FAIL_NO_PROGRESS);
            }
            if (c->stop == STOP_MISS) {
                int failure = resolve_miss(c);
                if (failure != FAIL_NONE) {
                    return finish(c, failure);
                }
            } else {
                set_tf(c, 1);
                c->tail = 1;
                c->tails++;
            }
            /*
             * Not only a swallowed exception leaves old_exception set (hardware-facts.md section
             * 7): reset it after every uc_emu_start. Measured: skipping it on a tail restart made
             * fsx's next #PF a double fault.
             */
            if (forget_exception(c, 0) != 0) {
                return finish(c, FAIL_UC);
            }
            continue;
        }
        switch (c->stop) {
        case STOP_BUDGET: c->reason = PAGELAB_EXIT_BUDGET; break;
        case STOP_SYSCALL: c->reason = PAGELAB_EXIT_SYSCALL; break;
        case STOP_INTERRUPT: c->reason = PAGELAB_EXIT_INTERRUPT; break;
        case STOP_BREAKPOINT: c->reason = PAGELAB_EXIT_BREAKPOINT; break;
        default: c->reason = PAGELAB_EXIT_HALT; break;
        }
        break;
    }
    if (needs_correction(c)) {
        int failure = correct_partial_block(c);
        if (failure != FAIL_NONE) {
            return finish(c, failure);
        }
    }
    return finish(c, FAIL_NONE);
}
