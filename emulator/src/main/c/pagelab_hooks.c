/*
 * Native hooks for pagelab's virtual CPUs. A Java upcall per instruction would cost far more than
 * the instruction, so the per-instruction work lives here, called by libunicorn directly.
 *
 * pagelab_count_insn is a UC_HOOK_CODE callback. It runs before each instruction: it counts the
 * instruction and, once the budget is used up, stops the engine before that instruction executes.
 * That gives exact, deterministic quanta and an exact instruction count for every run (the Java
 * side takes back the count of an instruction that faulted, so the count is of retired ones).
 *
 * It also stops the engine before an instruction at one of up to PAGELAB_MAX_BREAKS user
 * addresses (the shell's guest breakpoints), recording the address in `hit` and making the budget
 * look used up. The first user instruction of a run never stops, so a run resumed at a
 * breakpoint proceeds past it.
 */
#include <stdint.h>
#include <unicorn/unicorn.h>

#define PAGELAB_MAX_BREAKS 32
#define PAGELAB_USER_TOP 0x0000800000000000ULL

struct pagelab_budget {
    uint64_t executed; /* instructions begun since the counter was last reset */
    uint64_t limit;    /* stop before the instruction that would exceed this; 0 = no limit */
    uint64_t user_started; /* set by the first user instruction of a run */
    uint64_t hit;      /* the breakpoint address the run stopped at, else 0 */
    uint64_t nbreaks;  /* entries used in breaks[] */
    uint64_t breaks[PAGELAB_MAX_BREAKS];
};

static int at_breakpoint(struct pagelab_budget *budget, uint64_t address)
{
    if (address >= PAGELAB_USER_TOP)
        return 0;
    if (!budget->user_started) {
        budget->user_started = 1;
        return 0;
    }
    for (uint64_t i = 0; i < budget->nbreaks && i < PAGELAB_MAX_BREAKS; i++)
        if (budget->breaks[i] == address)
            return 1;
    return 0;
}

void pagelab_count_insn(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)
{
    struct pagelab_budget *budget = user_data;
    (void)size;
    if (budget->limit != 0 && budget->executed >= budget->limit) {
        uc_emu_stop(uc);
        return;
    }
    if (budget->nbreaks != 0 && at_breakpoint(budget, address)) {
        budget->hit = address;
        budget->limit = budget->executed;
        uc_emu_stop(uc);
        return;
    }
    budget->executed++;
}
