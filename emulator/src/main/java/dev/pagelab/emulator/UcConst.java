package dev.pagelab.emulator;

/**
 * Constants of the libunicorn 2.1 C API, copied from the 2.1.1 headers ({@code unicorn/unicorn.h},
 * {@code unicorn/x86.h}) by printing them from a C program compiled against those headers.
 * Several are computed in the headers (for example {@code UC_X86_REG_CR8 = UC_X86_REG_CR4 + 4}),
 * so none of them is guessed from enum order.
 */
final class UcConst {
    private UcConst() {}

    static final int UC_ARCH_X86 = 4;
    static final int UC_MODE_64 = 8;
    static final int UC_PROT_ALL = 7;

    static final int UC_ERR_OK = 0;

    static final int UC_HOOK_INTR = 1;
    static final int UC_HOOK_INSN = 1 << 1;
    static final int UC_HOOK_CODE = 1 << 2;
    static final int UC_HOOK_MEM_READ_UNMAPPED = 1 << 4;
    static final int UC_HOOK_MEM_WRITE_UNMAPPED = 1 << 5;
    static final int UC_HOOK_MEM_FETCH_UNMAPPED = 1 << 6;
    static final int UC_HOOK_MEM_UNMAPPED = 112;
    static final int UC_HOOK_MEM_READ = 1 << 10;
    static final int UC_HOOK_MEM_WRITE = 1 << 11;
    static final int UC_HOOK_MEM_READ_AFTER = 1 << 13;
    static final int UC_HOOK_INSN_INVALID = 1 << 14;

    static final int UC_X86_INS_SYSCALL = 699;

    /** {@code UC_CTL_WRITE(UC_CTL_TLB_FLUSH, 0)}. */
    static final int UC_CTL_TLB_FLUSH_WRITE = 1073741835;
    /** {@code UC_CTL_WRITE(UC_CTL_TCG_BUFFER_SIZE, 1)}. */
    static final int UC_CTL_TCG_BUFFER_SIZE_WRITE = (13) | (1 << 26) | (1 << 30);
    /** {@code UC_CTL_WRITE(UC_CTL_TB_FLUSH, 0)}. */
    static final int UC_CTL_TB_FLUSH_WRITE = (10) | (1 << 30);

    static final int UC_X86_REG_CS = 11;
    static final int UC_X86_REG_DS = 17;
    static final int UC_X86_REG_EFLAGS = 25;
    static final int UC_X86_REG_ES = 28;
    static final int UC_X86_REG_FS = 32;
    static final int UC_X86_REG_GS = 33;
    static final int UC_X86_REG_RAX = 35;
    static final int UC_X86_REG_RBP = 36;
    static final int UC_X86_REG_RBX = 37;
    static final int UC_X86_REG_RCX = 38;
    static final int UC_X86_REG_RDI = 39;
    static final int UC_X86_REG_RDX = 40;
    static final int UC_X86_REG_RIP = 41;
    static final int UC_X86_REG_RSI = 43;
    static final int UC_X86_REG_RSP = 44;
    static final int UC_X86_REG_SS = 49;
    static final int UC_X86_REG_CR0 = 50;
    static final int UC_X86_REG_CR2 = 52;
    static final int UC_X86_REG_CR3 = 53;
    static final int UC_X86_REG_CR4 = 54;
    static final int UC_X86_REG_CR8 = 58;
    static final int UC_X86_REG_R8 = 106;
    static final int UC_X86_REG_R9 = 107;
    static final int UC_X86_REG_R10 = 108;
    static final int UC_X86_REG_R11 = 109;
    static final int UC_X86_REG_R12 = 110;
    static final int UC_X86_REG_R13 = 111;
    static final int UC_X86_REG_R14 = 112;
    static final int UC_X86_REG_R15 = 113;
    static final int UC_X86_REG_IDTR = 242;
    static final int UC_X86_REG_GDTR = 243;
    static final int UC_X86_REG_MSR = 248;
    static final int UC_X86_REG_FS_BASE = 250;
    static final int UC_X86_REG_GS_BASE = 251;
    static final int UC_X86_REG_RFLAGS = 253;
    static final int UC_X86_REG_FPSW = 31;
    static final int UC_X86_REG_FP0 = 82; // FP0..FP7 = 82..89: the physical x87 registers R0-R7
    static final int UC_X86_REG_XMM0 = 122; // XMM0..XMM15 = 122..137
    static final int UC_X86_REG_FPCW = 246;
    static final int UC_X86_REG_FPTAG = 247;
    static final int UC_X86_REG_MXCSR = 249;
    static final int UC_X86_REG_FIP = 254;
    static final int UC_X86_REG_FDP = 256;
    static final int UC_X86_REG_FOP = 258;
}
