package dev.pagelab.emulator;

/**
 * The layout of a saved user state ({@link Vcpu#saveUserState}): the integer registers of
 * {@link Register#USER_STATE}, then the x87/SSE state a task switch must carry too (Linux:
 * {@code struct fxregs_state}, saved by {@code switch_fpu_prepare} and restored on return to
 * user mode). Every x87/SSE register takes two longs (low, high): FCW, FSW (with TOP), the full
 * tag word FTW (11 = empty), FOP, FIP, FDP, MXCSR, the physical x87 registers R0-R7 (80 bits:
 * mantissa, then sign and exponent) and XMM0-XMM15.
 *
 * <p>Unlike Linux, there is no AVX (YMM upper halves): the emulated CPU does not offer it.
 */
public final class UserState {
    private UserState() {}

    /** Index of the first x87/SSE long. */
    public static final int FPU = Register.USER_STATE.length;
    public static final int FCW = FPU, FSW = FPU + 2, FTW = FPU + 4, FOP = FPU + 6, FIP = FPU + 8, FDP = FPU + 10,
            MXCSR = FPU + 12, R0 = FPU + 14, XMM0 = R0 + 16;
    /** The number of longs in a saved user state. */
    public static final int LENGTH = XMM0 + 32;

    /** Linux's x87 control word for a new program (fpu__init_state: all exceptions masked, 64-bit precision). */
    public static final long LINUX_FCW = 0x037f;
    /** Linux's MXCSR for a new program (MXCSR_DEFAULT: all exceptions masked, round to nearest). */
    public static final long LINUX_MXCSR = 0x1f80;
    /** Every x87 register empty. */
    public static final long EMPTY_TAGS = 0xffff;

    /** The libunicorn ids of the x87/SSE registers, in layout order (two longs each). */
    static int[] fpuRegisterIds() {
        int[] ids = new int[(LENGTH - FPU) / 2];
        int[] scalars = {UcConst.UC_X86_REG_FPCW, UcConst.UC_X86_REG_FPSW, UcConst.UC_X86_REG_FPTAG,
            UcConst.UC_X86_REG_FOP, UcConst.UC_X86_REG_FIP, UcConst.UC_X86_REG_FDP, UcConst.UC_X86_REG_MXCSR};
        System.arraycopy(scalars, 0, ids, 0, scalars.length);
        for (int i = 0; i < 8; i++) {
            ids[scalars.length + i] = UcConst.UC_X86_REG_FP0 + i;
        }
        for (int i = 0; i < 16; i++) {
            ids[scalars.length + 8 + i] = UcConst.UC_X86_REG_XMM0 + i;
        }
        return ids;
    }

    /**
     * A new program's state (Linux: start_thread after fpu__clear): every register zero except
     * RIP, RSP, RFLAGS (IF and bit 1), FCW 0x037f, an all-empty tag word and MXCSR 0x1f80.
     */
    public static long[] initial(long rip, long rsp) {
        long[] s = new long[LENGTH];
        s[index(Register.RIP)] = rip;
        s[index(Register.RSP)] = rsp;
        s[index(Register.RFLAGS)] = 0x202;
        s[FCW] = LINUX_FCW;
        s[FTW] = EMPTY_TAGS;
        s[MXCSR] = LINUX_MXCSR;
        return s;
    }

    /** Position of {@code r} in a saved user state. */
    public static int index(Register r) {
        Register[] all = Register.USER_STATE;
        for (int i = 0; i < all.length; i++) {
            if (all[i] == r) {
                return i;
            }
        }
        throw new IllegalArgumentException(r + " is not part of the user state");
    }
}
