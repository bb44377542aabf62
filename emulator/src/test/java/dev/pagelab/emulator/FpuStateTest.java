package dev.pagelab.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.pagelab.emulator.selftest.Asm;
import dev.pagelab.emulator.selftest.Sandbox;
import org.junit.jupiter.api.Test;

/**
 * The x87/SSE part of the user state (what a task switch saves and restores) on the real
 * libunicorn: it round-trips, and the guest computes with what was loaded.
 */
class FpuStateTest {
    static final long CODE = 0x40_0000L, STACK_PAGE = 0x7FFF_E000L;
    static final long PI = Double.doubleToRawLongBits(Math.PI);
    /** movq rax, xmm0 */
    static final int[] MOVQ_RAX_XMM0 = {0x66, 0x48, 0x0f, 0x7e, 0xc0};
    /** cvtsd2si rax, xmm0 (rounds as MXCSR.RC says) */
    static final int[] CVTSD2SI_RAX_XMM0 = {0xf2, 0x48, 0x0f, 0x2d, 0xc0};
    static final int[] FLDPI = {0xd9, 0xeb};
    /** sub rsp, 8; fstp qword [rsp]; pop rax */
    static final int[] FSTP_TO_RAX = {0x48, 0x83, 0xec, 0x08, 0xdd, 0x1c, 0x24, 0x58};

    @Test
    void aLoadedXmmRegisterIsWhatTheGuestReads() {
        try (Sandbox s = new Sandbox(4 << 20)) {
            s.loadCode(CODE, new Asm().raw(MOVQ_RAX_XMM0).syscall().bytes());
            try (Vcpu cpu = s.cpu(CODE)) {
                long[] state = cpu.saveUserState();
                state[UserState.XMM0] = PI;
                cpu.loadUserState(state);
                assertInstanceOf(VmExit.Syscall.class, cpu.run(0));
                assertEquals(PI, cpu.get(Register.RAX));
            }
        }
    }

    @Test
    void theLoadedMxcsrRoundingModeGovernsTheGuestsConversions() {
        assertEquals(3, convert(UserState.LINUX_MXCSR, 2.7), "round to nearest");
        assertEquals(2, convert(UserState.LINUX_MXCSR | 0x6000, 2.7), "round toward zero");
        assertEquals(-3, convert(UserState.LINUX_MXCSR | 0x2000, -2.5), "round down");
    }

    private static long convert(long mxcsr, double value) {
        try (Sandbox s = new Sandbox(4 << 20)) {
            s.loadCode(CODE, new Asm().raw(CVTSD2SI_RAX_XMM0).syscall().bytes());
            try (Vcpu cpu = s.cpu(CODE)) {
                long[] state = UserState.initial(CODE, 0x7FFF_F000L);
                state[UserState.MXCSR] = mxcsr;
                state[UserState.XMM0] = Double.doubleToRawLongBits(value);
                cpu.loadUserState(state);
                assertInstanceOf(VmExit.Syscall.class, cpu.run(0));
                assertEquals(mxcsr, cpu.saveUserState()[UserState.MXCSR]);
                return cpu.get(Register.RAX);
            }
        }
    }

    /** A thread pushes pi on the x87 stack; its saved state, loaded on another CPU, pops pi. */
    @Test
    void theX87StackMovesWithTheSavedStateToAnotherCpu() {
        try (Sandbox s = new Sandbox(4 << 20)) {
            s.mapNew(STACK_PAGE, Sandbox.USER_RW_NX);
            s.loadCode(CODE, new Asm().raw(FLDPI).syscall().raw(FSTP_TO_RAX).syscall().bytes());
            long[] saved;
            try (Vcpu first = s.cpu(CODE)) {
                first.loadUserState(UserState.initial(CODE, 0x7FFF_F000L));
                assertInstanceOf(VmExit.Syscall.class, first.run(0));
                saved = first.saveUserState();
            }
            assertEquals(UserState.LINUX_FCW, saved[UserState.FCW]);
            assertEquals(7, (saved[UserState.FSW] >> 11) & 7, "TOP after one push");
            assertEquals(0x3fff, saved[UserState.FTW], "R7 valid, the rest empty");
            assertEquals(0xc90fdaa22168c235L, saved[UserState.R0 + 14], "R7 mantissa");
            assertEquals(0x4000, saved[UserState.R0 + 15], "R7 sign and exponent");
            try (Vcpu second = s.cpu(CODE)) {
                second.loadUserState(saved);
                assertInstanceOf(VmExit.Syscall.class, second.run(0));
                assertEquals(PI, second.get(Register.RAX));
                assertEquals(0, (second.saveUserState()[UserState.FSW] >> 11) & 7, "TOP after the pop");
            }
        }
    }
}
