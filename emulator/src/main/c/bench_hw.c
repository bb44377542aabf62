/*
 * bench_hw.c - the C side of `pagelab bench hw`.
 *
 * `pagelab bench hw` measures what driving libunicorn from Java through the FFM API costs. To make
 * that a fair comparison this program does the SAME work the Java side does, driven from C: the
 * same guest code, the same physical memory layout (Machine, Firmware, Sandbox), the same CPU
 * set-up and iretq entry to CPL 3 (UnicornVcpu), the same two hooks and the same libunicorn calls
 * on every exit (UnicornVcpu.run, forgetException, resetOldException, syscallExit,
 * interruptExit). It deliberately does no more and no less: an extra or missing uc_* call per exit
 * would skew the per-exit cost being compared. See /work/shared/design/hardware-facts.md for why
 * the odd steps (iretq trampoline, user-readable "until" page, old_exception reset) are needed.
 *
 *   bench-hw compute N REPS
 *       N iterations of an add/xor/dec/jnz loop, then syscall; one uc_emu_start per rep.
 *   bench-hw faults P REPS OLD_EXC_OFFSET ERRCODE_OFFSET
 *       P stores to P not-present pages; every #PF exits to the host, which writes one PTE and
 *       resumes. The offsets locate the int32 fields old_exception and error_code inside a
 *       uc_context buffer (Java calibrates them at start-up).
 *
 * Only the guest run is timed (from the first uc_emu_start of a rep to its syscall exit).
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, clock_gettime */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <unicorn/unicorn.h>

/* ---- constants (mirroring Pte, Firmware, Machine, UnicornVcpu, Sandbox) ------------------- */

#define PAGE_SIZE 4096ULL
#define PAGE_SHIFT 12
#define RAM_BYTES (64ULL << 20)

#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_US (1ULL << 2)
#define PTE_G (1ULL << 8)
#define PTE_NX (1ULL << 63)
#define PTE_FRAME_MASK 0x000FFFFFFFFFF000ULL

/* Machine: frame 0 unused, firmware frames 1..5, idle PML4 frame 6, bump allocator from 7. */
#define FIRMWARE_BASE_FRAME 1ULL
#define FIRMWARE_FRAMES 5ULL
#define IDLE_ROOT_FRAME (FIRMWARE_BASE_FRAME + FIRMWARE_FRAMES)
#define FIRST_FREE_FRAME (IDLE_ROOT_FRAME + 1)

/* Firmware: the page at the top of every address space, and the exit page just below it. */
#define FW_VIRTUAL_BASE 0xFFFFFFFFFFFFF000ULL
#define FW_EXIT_PAGE (FW_VIRTUAL_BASE - PAGE_SIZE)
#define FW_UNTIL (FW_EXIT_PAGE + PAGE_SIZE / 2)
#define FW_PML4_SLOT 511
#define FW_GDT_OFFSET 0x000
#define FW_TRAMPOLINE_OFFSET 0x100
#define FW_FRAME_AREA_OFFSET 0x400 /* CPU 0's iret frame */
#define USER_CS 0x33ULL
#define USER_DS 0x2bULL
#define USER_RFLAGS 0x202ULL

static const uint64_t GDT[] = {
    0ULL,                  /* 0x00 null */
    0x00CF9A000000FFFFULL, /* 0x08 kernel code, 32-bit */
    0x00AF9A000000FFFFULL, /* 0x10 kernel code, 64-bit, DPL 0 */
    0x00CF92000000FFFFULL, /* 0x18 kernel data, DPL 0 */
    0x00CFFA000000FFFFULL, /* 0x23 user code, 32-bit, DPL 3 */
    0x00CFF2000000FFFFULL, /* 0x2b user data, DPL 3 */
    0x00AFFA000000FFFFULL, /* 0x33 user code, 64-bit, DPL 3 */
};
#define GDT_ENTRIES (sizeof GDT / sizeof GDT[0])

/* UnicornVcpu.enterLongModeWithPaging */
#define MSR_EFER 0xC0000080u
#define EFER_VALUE 0xD01ULL   /* SCE | LME | LMA | NXE */
#define CR4_VALUE 0x620ULL    /* PAE | OSFXSR | OSXMMEXCPT */
#define CR0_VALUE 0x80010033ULL /* PE | MP | ET | NE | WP | PG */

#define INTNO_PAGE_FAULT 14
#define PF_USER_WRITE_NOT_PRESENT 6

/* The benchmark's guest layout. */
#define CODE_VA 0x400000ULL
#define USER_RSP 0x7FFFF000ULL
#define FAULT_BASE 0x10000000ULL
#define MAX_COMPUTE_N (1ULL << 60) /* keeps 4N+3 in 64 bits */
/*
 * compute mode is not given the calibrated context offsets (it never faults, so old_exception
 * does not matter there). It still pays the same uc_context_save/restore after its exit as Java
 * does, but skips the one 4-byte patch rather than guess an offset for this libunicorn build.
 */
#define NO_OFFSET ((size_t)-1)

/* ---- errors --------------------------------------------------------------------------------- */

static void usage(void) {
    fprintf(stderr,
            "usage: bench-hw compute N REPS\n"
            "       bench-hw faults P REPS OLD_EXC_OFFSET ERRCODE_OFFSET\n");
    exit(2);
}

static void die(const char *what) {
    fprintf(stderr, "bench-hw: %s\n", what);
    exit(1);
}

/* Any uc_err other than UC_ERR_OK ends the program. */
static void check(const char *call, uc_err err) {
    if (err != UC_ERR_OK) {
        fprintf(stderr, "bench-hw: %s: %s\n", call, uc_strerror(err));
        exit(1);
    }
}

/* A decimal number in [min, max], or usage. */
static uint64_t parse_u64(const char *s, uint64_t min, uint64_t max) {
    if (*s < '0' || *s > '9') {
        usage();
    }
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        usage();
    }
    return v;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- physical memory and the bump allocator (PhysicalMemory, Sandbox) ---------------------- */

static uint8_t *ram;            /* the guest's physical memory */
static uint64_t next_frame;     /* Sandbox's bump allocator */

static void write_u64(uint64_t paddr, uint64_t value) {
    memcpy(ram + paddr, &value, sizeof value);
}

static uint64_t read_u64(uint64_t paddr) {
    uint64_t value;
    memcpy(&value, ram + paddr, sizeof value);
    return value;
}

/* A zeroed frame (Sandbox.allocFrame). */
static uint64_t alloc_frame(void) {
    if (next_frame >= RAM_BYTES / PAGE_SIZE) {
        die("out of guest frames");
    }
    uint64_t frame = next_frame++;
    memset(ram + (frame << PAGE_SHIFT), 0, PAGE_SIZE);
    return frame;
}

/* Index of vaddr in the table at level (0 = PML4 ... 3 = PT), as X86Paging.index. */
static unsigned table_index(uint64_t vaddr, int level) {
    return (unsigned)((vaddr >> (39 - 9 * level)) & 0x1ff);
}

/* Physical address of vaddr's PTE, creating missing tables P|RW|US (X86Paging.pteAddress). */
static uint64_t pte_address(uint64_t root, uint64_t vaddr) {
    uint64_t table = root & PTE_FRAME_MASK;
    for (int level = 0; level < 3; level++) {
        uint64_t entry_address = table + 8 * table_index(vaddr, level);
        uint64_t entry = read_u64(entry_address);
        if ((entry & PTE_P) == 0) {
            entry = (alloc_frame() << PAGE_SHIFT) | PTE_P | PTE_RW | PTE_US;
            write_u64(entry_address, entry);
        }
        table = entry & PTE_FRAME_MASK;
    }
    return table + 8 * table_index(vaddr, 3);
}

/* ---- the machine: firmware, idle root, address space (Machine, Firmware, Sandbox) -------- */

/* Builds the firmware into frames 1..5 and the idle PML4 in frame 6 (Firmware, Machine). */
static void build_firmware(void) {
    uint64_t pdpt = FIRMWARE_BASE_FRAME, pd = pdpt + 1, pt = pdpt + 2;
    uint64_t page = pdpt + 3, exit_page = pdpt + 4;
    memset(ram + (FIRMWARE_BASE_FRAME << PAGE_SHIFT), 0, FIRMWARE_FRAMES * PAGE_SIZE);
    uint64_t supervisor = PTE_P | PTE_RW; /* no US: CPL 3 cannot touch any of this */
    write_u64((pdpt << PAGE_SHIFT) + 8 * table_index(FW_VIRTUAL_BASE, 1), (pd << PAGE_SHIFT) | supervisor);
    write_u64((pd << PAGE_SHIFT) + 8 * table_index(FW_VIRTUAL_BASE, 2), (pt << PAGE_SHIFT) | supervisor);
    write_u64((pt << PAGE_SHIFT) + 8 * table_index(FW_VIRTUAL_BASE, 3),
              (page << PAGE_SHIFT) | supervisor | PTE_G);
    /* The exit page: user-readable (never writable) so "until" translates at CPL 3; all ud2. */
    write_u64((pt << PAGE_SHIFT) + 8 * table_index(FW_EXIT_PAGE, 3),
              (exit_page << PAGE_SHIFT) | PTE_P | PTE_US | PTE_G);
    for (uint64_t i = 0; i < PAGE_SIZE; i += 2) {
        ram[(exit_page << PAGE_SHIFT) + i] = 0x0F;
        ram[(exit_page << PAGE_SHIFT) + i + 1] = 0x0B;
    }
    for (size_t i = 0; i < GDT_ENTRIES; i++) {
        write_u64((page << PAGE_SHIFT) + FW_GDT_OFFSET + 8 * i, GDT[i]);
    }
    ram[(page << PAGE_SHIFT) + FW_TRAMPOLINE_OFFSET] = 0x48; /* iretq */
    ram[(page << PAGE_SHIFT) + FW_TRAMPOLINE_OFFSET + 1] = 0xCF;

    memset(ram + (IDLE_ROOT_FRAME << PAGE_SHIFT), 0, PAGE_SIZE);
    write_u64((IDLE_ROOT_FRAME << PAGE_SHIFT) + 8 * FW_PML4_SLOT, (pdpt << PAGE_SHIFT) | PTE_P | PTE_RW);
}

/* Fresh RAM, firmware, and the benchmark's PML4 (the first allocated frame); returns its address. */
static uint64_t build_machine(void) {
    ram = mmap(NULL, RAM_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ram == MAP_FAILED) {
        die("mmap of guest RAM failed");
    }
    build_firmware();
    next_frame = FIRST_FREE_FRAME;
    uint64_t root = alloc_frame() << PAGE_SHIFT;
    write_u64(root + 8 * FW_PML4_SLOT, (FIRMWARE_BASE_FRAME << PAGE_SHIFT) | PTE_P | PTE_RW);
    return root;
}

/* Maps CODE_VA (P|US, executable) to a new frame holding code (Sandbox.loadCode). */
static void load_code(uint64_t root, const uint8_t *code, size_t size) {
    uint64_t frame = alloc_frame();
    write_u64(pte_address(root, CODE_VA), (frame << PAGE_SHIFT) | PTE_P | PTE_US);
    memcpy(ram + (frame << PAGE_SHIFT), code, size);
}

/* Writes CPU 0's iret frame; returns the kernel RSP that makes iretq pop it. */
static uint64_t write_iret_frame(uint64_t rip, uint64_t rflags, uint64_t rsp) {
    uint64_t p = ((FIRMWARE_BASE_FRAME + 3) << PAGE_SHIFT) + FW_FRAME_AREA_OFFSET;
    write_u64(p, rip);
    write_u64(p + 8, USER_CS);
    write_u64(p + 16, rflags);
    write_u64(p + 24, rsp);
    write_u64(p + 32, USER_DS);
    return FW_VIRTUAL_BASE + FW_FRAME_AREA_OFFSET;
}

/* ---- the virtual CPU (UnicornVcpu) ---------------------------------------------------------- */

enum stop { STOP_NONE, STOP_INTERRUPT, STOP_SYSCALL };

static const int SYSCALL_REGS[] = {UC_X86_REG_RAX, UC_X86_REG_RDI, UC_X86_REG_RSI,
                                   UC_X86_REG_RDX, UC_X86_REG_R10, UC_X86_REG_R8,
                                   UC_X86_REG_R9,  UC_X86_REG_RIP, UC_X86_REG_RFLAGS};
#define SYSCALL_REG_COUNT ((int)(sizeof SYSCALL_REGS / sizeof SYSCALL_REGS[0]))
static const int RETURN_REGS[] = {UC_X86_REG_RCX, UC_X86_REG_R11};

struct vcpu {
    uc_engine *uc;
    uc_context *context;       /* scratch for the old_exception reset */
    size_t old_exc_offset, errcode_offset;
    int user_mode;             /* 0 until the first run has executed the iretq trampoline */
    enum stop stop;            /* written by the hooks, read after uc_emu_start returns */
    int vector;                /* the last intercepted vector */
    int32_t error_code;        /* of the last exception, from the saved context */
    uint64_t fault_address;    /* CR2 of the last #PF */
    /* Preallocated batch buffers (UnicornVcpu's syscallBatch, returnBatch). */
    int syscall_ids[SYSCALL_REG_COUNT];
    uint64_t syscall_values[SYSCALL_REG_COUNT];
    void *syscall_ptrs[SYSCALL_REG_COUNT];
    int return_ids[2];
    uint64_t return_values[2];
    void *return_ptrs[2];
};

static uint64_t reg_read(struct vcpu *cpu, int reg, const char *what) {
    uint64_t value = 0;
    check(what, uc_reg_read(cpu->uc, reg, &value));
    return value;
}

static void reg_write(struct vcpu *cpu, int reg, uint64_t value, const char *what) {
    check(what, uc_reg_write(cpu->uc, reg, &value));
}

static int32_t context_get_int(struct vcpu *cpu, size_t offset) {
    int32_t v = 0;
    if (offset == NO_OFFSET) {
        return v;
    }
    memcpy(&v, (uint8_t *)cpu->context + offset, sizeof v);
    return v;
}

/* Writes an int32 into the saved context; NO_OFFSET (compute mode: not calibrated) skips it. */
static void context_set_int(struct vcpu *cpu, size_t offset, int32_t v) {
    if (offset != NO_OFFSET) {
        memcpy((uint8_t *)cpu->context + offset, &v, sizeof v);
    }
}

/* The double-fault remedy inside the hook: save, read the error code, old_exception = -1, restore. */
static void forget_exception(struct vcpu *cpu) {
    check("uc_context_save", uc_context_save(cpu->uc, cpu->context));
    cpu->error_code = context_get_int(cpu, cpu->errcode_offset);
    context_set_int(cpu, cpu->old_exc_offset, -1);
    check("uc_context_restore", uc_context_restore(cpu->uc, cpu->context));
}

/* After every uc_emu_start: an iretq entry or a syscall exit leaves old_exception set too. */
static void reset_old_exception(struct vcpu *cpu) {
    check("uc_context_save", uc_context_save(cpu->uc, cpu->context));
    context_set_int(cpu, cpu->old_exc_offset, -1);
    check("uc_context_restore", uc_context_restore(cpu->uc, cpu->context));
}

/* UC_HOOK_INTR: record the vector (and CR2 for a #PF), apply the remedy, stop. */
static void on_interrupt(uc_engine *uc, uint32_t intno, void *user) {
    struct vcpu *cpu = user;
    (void)uc;
    cpu->stop = STOP_INTERRUPT;
    cpu->vector = (int)intno;
    if (intno == INTNO_PAGE_FAULT) {
        cpu->fault_address = reg_read(cpu, UC_X86_REG_CR2, "uc_reg_read(CR2)");
    }
    forget_exception(cpu);
    check("uc_emu_stop", uc_emu_stop(cpu->uc));
}

/* UC_HOOK_INSN for syscall: record, stop. */
static void on_syscall(uc_engine *uc, void *user) {
    struct vcpu *cpu = user;
    (void)uc;
    cpu->stop = STOP_SYSCALL;
    check("uc_emu_stop", uc_emu_stop(cpu->uc));
}

/* GDTR, EFER, CR3, CR4, CR0: long mode with 4-level paging (enterLongModeWithPaging). */
static void enter_long_mode(struct vcpu *cpu, uint64_t root) {
    uc_x86_mmr gdtr = {.selector = 0, .base = FW_VIRTUAL_BASE + FW_GDT_OFFSET,
                       .limit = GDT_ENTRIES * 8 - 1, .flags = 0};
    check("uc_reg_write(GDTR)", uc_reg_write(cpu->uc, UC_X86_REG_GDTR, &gdtr));
    uc_x86_msr efer = {.rid = MSR_EFER, .value = EFER_VALUE};
    check("uc_reg_write(MSR)", uc_reg_write(cpu->uc, UC_X86_REG_MSR, &efer));
    reg_write(cpu, UC_X86_REG_CR3, root, "uc_reg_write(CR3)");
    reg_write(cpu, UC_X86_REG_CR4, CR4_VALUE, "uc_reg_write(CR4)");
    reg_write(cpu, UC_X86_REG_CR0, CR0_VALUE, "uc_reg_write(CR0)");
}

/* A fresh engine over the RAM, in long mode at CR3 = root, with the two hooks. */
static void vcpu_open(struct vcpu *cpu, uint64_t root, size_t old_exc_offset, size_t errcode_offset) {
    memset(cpu, 0, sizeof *cpu);
    cpu->old_exc_offset = old_exc_offset;
    cpu->errcode_offset = errcode_offset;
    check("uc_open", uc_open(UC_ARCH_X86, UC_MODE_64, &cpu->uc));
    check("uc_mem_map_ptr", uc_mem_map_ptr(cpu->uc, 0, RAM_BYTES, UC_PROT_ALL, ram));
    check("uc_context_alloc", uc_context_alloc(cpu->uc, &cpu->context));
    size_t size = uc_context_size(cpu->uc);
    if ((old_exc_offset != NO_OFFSET && old_exc_offset > size - 4)
        || (errcode_offset != NO_OFFSET && errcode_offset > size - 4)) {
        fprintf(stderr, "bench-hw: context offsets must be below %zu\n", size - 3);
        exit(2);
    }
    for (int i = 0; i < SYSCALL_REG_COUNT; i++) {
        cpu->syscall_ids[i] = SYSCALL_REGS[i];
        cpu->syscall_ptrs[i] = &cpu->syscall_values[i];
    }
    for (int i = 0; i < 2; i++) {
        cpu->return_ids[i] = RETURN_REGS[i];
        cpu->return_ptrs[i] = &cpu->return_values[i];
    }
    enter_long_mode(cpu, root);
    uc_hook h;
    check("uc_hook_add(INTR)", uc_hook_add(cpu->uc, &h, UC_HOOK_INTR, (void *)on_interrupt, cpu, 1, 0));
    check("uc_hook_add(INSN)",
          uc_hook_add(cpu->uc, &h, UC_HOOK_INSN, (void *)on_syscall, cpu, 1, 0, UC_X86_INS_SYSCALL));
}

static void vcpu_close(struct vcpu *cpu) {
    check("uc_context_free", uc_context_free(cpu->context));
    check("uc_close", uc_close(cpu->uc));
}

/* Where the CPU will be when first entered (Sandbox.cpu): RIP and RSP. */
static void vcpu_place(struct vcpu *cpu, uint64_t rip, uint64_t rsp) {
    reg_write(cpu, UC_X86_REG_RIP, rip, "uc_reg_write(RIP)");
    reg_write(cpu, UC_X86_REG_RSP, rsp, "uc_reg_write(RSP)");
}

/*
 * Before the first run (set-up, not timed): writes the iret frame from the current RIP, RSP and
 * RFLAGS and points RSP at it; returns the trampoline (UnicornVcpu.prepareIretToUser).
 */
static uint64_t prepare_iret_to_user(struct vcpu *cpu) {
    uint64_t rip = reg_read(cpu, UC_X86_REG_RIP, "uc_reg_read(RIP)");
    uint64_t rsp = reg_read(cpu, UC_X86_REG_RSP, "uc_reg_read(RSP)");
    uint64_t rflags = reg_read(cpu, UC_X86_REG_RFLAGS, "uc_reg_read(RFLAGS)") | USER_RFLAGS;
    uint64_t kernel_stack = write_iret_frame(rip, rflags, rsp);
    reg_write(cpu, UC_X86_REG_RSP, kernel_stack, "uc_reg_write(RSP)");
    return FW_VIRTUAL_BASE + FW_TRAMPOLINE_OFFSET;
}

/* Syscall exit: read number and arguments in one batch; RCX = RIP, R11 = RFLAGS in another. */
static void syscall_exit(struct vcpu *cpu) {
    check("uc_reg_read_batch",
          uc_reg_read_batch(cpu->uc, cpu->syscall_ids, cpu->syscall_ptrs, SYSCALL_REG_COUNT));
    cpu->return_values[0] = cpu->syscall_values[7];
    cpu->return_values[1] = cpu->syscall_values[8];
    check("uc_reg_write_batch", uc_reg_write_batch(cpu->uc, cpu->return_ids, cpu->return_ptrs, 2));
}

/*
 * One run to the next exit (UnicornVcpu.run with no instruction budget). trampoline is the
 * start address for the very first run (0 later: start at the current RIP). Returns the stop
 * reason; after an interrupt exit *rip holds the RIP read by interruptExit.
 */
static enum stop vcpu_run(struct vcpu *cpu, uint64_t trampoline, uint64_t *rip) {
    cpu->stop = STOP_NONE;
    uint64_t begin;
    if (cpu->user_mode) {
        begin = reg_read(cpu, UC_X86_REG_RIP, "uc_reg_read(RIP)");
    } else {
        begin = trampoline;
        cpu->user_mode = 1;
    }
    check("uc_emu_start", uc_emu_start(cpu->uc, begin, FW_UNTIL, 0, 0));
    reset_old_exception(cpu);
    switch (cpu->stop) {
    case STOP_SYSCALL:
        syscall_exit(cpu);
        break;
    case STOP_INTERRUPT:
        *rip = reg_read(cpu, UC_X86_REG_RIP, "uc_reg_read(RIP)");
        break;
    case STOP_NONE:
        *rip = reg_read(cpu, UC_X86_REG_RIP, "uc_reg_read(RIP)");
        break;
    }
    return cpu->stop;
}

/* Any exit other than the expected one ends the program with a description. */
static void unexpected_exit(struct vcpu *cpu, enum stop stop, uint64_t rip) {
    if (stop == STOP_INTERRUPT) {
        fprintf(stderr, "bench-hw: unexpected exception: vector %d error code %" PRId32
                " at rip 0x%" PRIx64 " cr2 0x%" PRIx64 "\n",
                cpu->vector, cpu->error_code, rip, cpu->fault_address);
    } else {
        fprintf(stderr, "bench-hw: unexpected halt at rip 0x%" PRIx64 "\n", rip);
    }
    exit(1);
}

/* ---- guest code (selftest.Asm encodings) ---------------------------------------------------- */

static size_t emit(uint8_t *out, size_t at, const uint8_t *bytes, size_t n) {
    memcpy(out + at, bytes, n);
    return at + n;
}

static size_t emit_imm64(uint8_t *out, size_t at, uint64_t v) {
    for (int i = 0; i < 8; i++) {
        out[at++] = (uint8_t)(v >> (8 * i));
    }
    return at;
}

/* mov reg, imm64 (REX.W B8+reg; reg < 8) */
static size_t emit_mov_imm(uint8_t *out, size_t at, int reg, uint64_t imm) {
    const uint8_t op[] = {0x48, (uint8_t)(0xB8 + reg)};
    return emit_imm64(out, emit(out, at, op, sizeof op), imm);
}

/* jnz back to code offset target (Asm.jnzBack: rel8 measured from the next instruction). */
static size_t emit_jnz_back(uint8_t *out, size_t at, size_t target) {
    long rel = (long)target - (long)(at + 2);
    out[at] = 0x75;
    out[at + 1] = (uint8_t)(rel & 0xff);
    return at + 2;
}

static size_t emit_syscall(uint8_t *out, size_t at) {
    static const uint8_t op[] = {0x0F, 0x05};
    return emit(out, at, op, sizeof op);
}

enum { RAX = 0, RCX = 1, RDI = 7 };

/* mov rcx, N; mov rax, 0; loop: add rax, rcx; xor rbx, rax; dec rcx; jnz loop; syscall */
static size_t compute_code(uint8_t *out, uint64_t n) {
    static const uint8_t body[] = {
        0x48, 0x01, 0xC8, /* add rax, rcx */
        0x48, 0x31, 0xC3, /* xor rbx, rax */
        0x48, 0xFF, 0xC9, /* dec rcx */
    };
    size_t at = emit_mov_imm(out, 0, RCX, n);
    at = emit_mov_imm(out, at, RAX, 0);
    size_t loop = at;
    at = emit(out, at, body, sizeof body);
    at = emit_jnz_back(out, at, loop); /* 75 F5 */
    return emit_syscall(out, at);
}

/* mov rdi, FAULT_BASE; mov rcx, P; loop: mov [rdi], rcx; add rdi, 4096; dec rcx; jnz loop; syscall */
static size_t fault_code(uint8_t *out, uint64_t pages) {
    static const uint8_t body[] = {
        0x48, 0x89, 0x0F,                         /* mov [rdi], rcx */
        0x48, 0x81, 0xC7, 0x00, 0x10, 0x00, 0x00, /* add rdi, 4096 */
        0x48, 0xFF, 0xC9,                         /* dec rcx */
    };
    size_t at = emit_mov_imm(out, 0, RDI, FAULT_BASE);
    at = emit_mov_imm(out, at, RCX, pages);
    size_t loop = at;
    at = emit(out, at, body, sizeof body);
    at = emit_jnz_back(out, at, loop); /* 75 F1: the loop is 15 bytes */
    return emit_syscall(out, at);
}

/* ---- the two benchmarks --------------------------------------------------------------------- */

/* One engine; one uc_emu_start per rep, which must end in the syscall exit. */
static void bench_compute(uint64_t n, uint64_t reps) {
    uint64_t root = build_machine();
    uint8_t code[64];
    load_code(root, code, compute_code(code, n));
    struct vcpu cpu;
    vcpu_open(&cpu, root, NO_OFFSET, NO_OFFSET);
    vcpu_place(&cpu, CODE_VA, USER_RSP);
    uint64_t trampoline = prepare_iret_to_user(&cpu);
    double best = -1;
    for (uint64_t rep = 0; rep < reps; rep++) {
        if (rep > 0) {
            reg_write(&cpu, UC_X86_REG_RIP, CODE_VA, "uc_reg_write(RIP)");
        }
        uint64_t rip = 0;
        double t0 = now_seconds();
        enum stop stop = vcpu_run(&cpu, trampoline, &rip);
        double seconds = now_seconds() - t0;
        if (stop != STOP_SYSCALL) {
            unexpected_exit(&cpu, stop, rip);
        }
        if (best < 0 || seconds < best) {
            best = seconds;
        }
    }
    vcpu_close(&cpu);
    uint64_t instructions = 4 * n + 3;
    printf("instructions=%" PRIu64 " best_seconds=%.6f insn_per_s=%.0f\n", instructions, best,
           (double)instructions / best);
}

/* The fault benchmark's state: one PTE address per page and the frame they all map. */
struct fault_space {
    uint64_t *ptes;
    uint64_t pages;
    uint64_t shared_frame;
};

/* Creates every table down to the PT level for the range, so each fault writes one PTE. */
static void build_fault_space(struct fault_space *fs, uint64_t root, uint64_t pages) {
    fs->pages = pages;
    fs->shared_frame = alloc_frame();
    fs->ptes = malloc(pages * sizeof *fs->ptes);
    if (fs->ptes == NULL) {
        die("out of host memory");
    }
    for (uint64_t i = 0; i < pages; i++) {
        fs->ptes[i] = pte_address(root, FAULT_BASE + i * PAGE_SIZE);
    }
}

/* Between reps: unmap every page again and flush the TLB (set-up, not timed). */
static void reset_fault_space(struct vcpu *cpu, struct fault_space *fs) {
    for (uint64_t i = 0; i < fs->pages; i++) {
        write_u64(fs->ptes[i], 0);
    }
    check("uc_ctl_flush_tlb", uc_ctl_flush_tlb(cpu->uc));
    reg_write(cpu, UC_X86_REG_RIP, CODE_VA, "uc_reg_write(RIP)");
}

/* Runs the fault loop once: every exit must be the next expected #PF, until the syscall. */
static uint64_t fault_rep(struct vcpu *cpu, struct fault_space *fs, uint64_t trampoline) {
    uint64_t faults = 0;
    for (;;) {
        uint64_t rip = 0;
        enum stop stop = vcpu_run(cpu, trampoline, &rip);
        if (stop == STOP_SYSCALL) {
            return faults;
        }
        uint64_t expected = FAULT_BASE + faults * PAGE_SIZE;
        if (stop != STOP_INTERRUPT || cpu->vector != INTNO_PAGE_FAULT || faults >= fs->pages
            || cpu->error_code != PF_USER_WRITE_NOT_PRESENT || cpu->fault_address != expected) {
            unexpected_exit(cpu, stop, rip);
        }
        write_u64(fs->ptes[faults], (fs->shared_frame << PAGE_SHIFT) | PTE_P | PTE_RW | PTE_US | PTE_NX);
        faults++;
    }
}

static void bench_faults(uint64_t pages, uint64_t reps, size_t old_exc_offset, size_t errcode_offset) {
    uint64_t root = build_machine();
    uint8_t code[64];
    load_code(root, code, fault_code(code, pages));
    struct fault_space fs;
    build_fault_space(&fs, root, pages);
    struct vcpu cpu;
    vcpu_open(&cpu, root, old_exc_offset, errcode_offset);
    vcpu_place(&cpu, CODE_VA, USER_RSP);
    uint64_t trampoline = prepare_iret_to_user(&cpu);
    double best = -1;
    for (uint64_t rep = 0; rep < reps; rep++) {
        if (rep > 0) {
            reset_fault_space(&cpu, &fs);
        }
        double t0 = now_seconds();
        uint64_t faults = fault_rep(&cpu, &fs, trampoline);
        double seconds = now_seconds() - t0;
        if (faults != pages) {
            fprintf(stderr, "bench-hw: expected %" PRIu64 " faults, saw %" PRIu64 "\n", pages, faults);
            exit(1);
        }
        if (best < 0 || seconds < best) {
            best = seconds;
        }
    }
    vcpu_close(&cpu);
    free(fs.ptes);
    printf("faults=%" PRIu64 " best_seconds=%.6f faults_per_s=%.0f\n", pages, best, (double)pages / best);
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "compute") == 0) {
        uint64_t n = parse_u64(argv[2], 1, MAX_COMPUTE_N);
        uint64_t reps = parse_u64(argv[3], 1, 1000000);
        bench_compute(n, reps);
    } else if (argc == 6 && strcmp(argv[1], "faults") == 0) {
        uint64_t pages = parse_u64(argv[2], 1, RAM_BYTES / PAGE_SIZE * 512);
        uint64_t reps = parse_u64(argv[3], 1, 1000000);
        size_t old_exc = parse_u64(argv[4], 0, 1 << 20);
        size_t errcode = parse_u64(argv[5], 0, 1 << 20);
        bench_faults(pages, reps, old_exc, errcode);
    } else {
        usage();
    }
    return 0;
}
