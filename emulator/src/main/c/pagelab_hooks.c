/*
 * Native hooks for pagelab's virtual CPUs. A Java upcall per instruction would cost far more than
 * the instruction, so the per-instruction work lives here, called by libunicorn directly.
 *
 * pagelab_count_insn is a UC_HOOK_CODE callback. It runs before each instruction: it counts the
 * instruction and, once the budget is used up, stops the engine before that instruction executes.
 * That gives exact, deterministic quanta and an exact instruction count for every run (the Java
 * side takes back the count of an instruction that faulted, so the count is of retired ones).
 */
#include <stdint.h>
#include <unicorn/unicorn.h>

struct pagelab_budget {
    uint64_t executed; /* instructions begun since the counter was last reset */
    uint64_t limit;    /* stop before the instruction that would exceed this; 0 = no limit */
};

void pagelab_count_insn(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)
{
    struct pagelab_budget *budget = user_data;
    (void)address;
    (void)size;
    if (budget->limit != 0 && budget->executed >= budget->limit) {
        uc_emu_stop(uc);
        return;
    }
    budget->executed++;
}
