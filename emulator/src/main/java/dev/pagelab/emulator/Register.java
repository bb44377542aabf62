package dev.pagelab.emulator;

/** The registers the kernel reads and writes on a {@link Vcpu}. */
public enum Register {
    RAX(UcConst.UC_X86_REG_RAX), RBX(UcConst.UC_X86_REG_RBX), RCX(UcConst.UC_X86_REG_RCX),
    RDX(UcConst.UC_X86_REG_RDX), RSI(UcConst.UC_X86_REG_RSI), RDI(UcConst.UC_X86_REG_RDI),
    RBP(UcConst.UC_X86_REG_RBP), RSP(UcConst.UC_X86_REG_RSP),
    R8(UcConst.UC_X86_REG_R8), R9(UcConst.UC_X86_REG_R9), R10(UcConst.UC_X86_REG_R10),
    R11(UcConst.UC_X86_REG_R11), R12(UcConst.UC_X86_REG_R12), R13(UcConst.UC_X86_REG_R13),
    R14(UcConst.UC_X86_REG_R14), R15(UcConst.UC_X86_REG_R15),
    RIP(UcConst.UC_X86_REG_RIP), RFLAGS(UcConst.UC_X86_REG_RFLAGS),
    FS_BASE(UcConst.UC_X86_REG_FS_BASE), GS_BASE(UcConst.UC_X86_REG_GS_BASE),
    CR0(UcConst.UC_X86_REG_CR0), CR2(UcConst.UC_X86_REG_CR2), CR3(UcConst.UC_X86_REG_CR3),
    CR4(UcConst.UC_X86_REG_CR4), CR8(UcConst.UC_X86_REG_CR8);

    /** The registers that make up a user thread's state (saved and restored on a task switch). */
    public static final Register[] USER_STATE = {RAX, RBX, RCX, RDX, RSI, RDI, RBP, RSP, R8, R9, R10, R11, R12,
        R13, R14, R15, RIP, RFLAGS, FS_BASE, GS_BASE};

    final int ucId; // immutable: the UC_X86_REG_* value

    Register(int ucId) {
        this.ucId = ucId;
    }
}
