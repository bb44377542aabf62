package dev.pagelab.emulator;

import static dev.pagelab.emulator.selftest.Asm.Reg.RAX;
import static dev.pagelab.emulator.selftest.Asm.Reg.RCX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagelab.emulator.selftest.Asm;
import dev.pagelab.emulator.selftest.Sandbox;
import org.junit.jupiter.api.Test;

/** Vcpu behaviour beyond the self-test, on the real libunicorn. */
class VcpuTest {
    static final long CODE = 0x40_0000L, DATA = 0x60_0000L;

    @Test
    void aFaultAfterASyscallExitIsAPageFaultNotADoubleFault() {
        try (Sandbox s = new Sandbox(4 << 20)) {
            s.loadCode(CODE, new Asm().syscall().store(DATA, RAX).syscall().bytes());
            s.mapNew(DATA, Pte.P | Pte.US);
            try (Vcpu cpu = s.cpu(CODE)) {
                assertInstanceOf(VmExit.Syscall.class, cpu.run(0));
                VmExit.PageFault pf = assertInstanceOf(VmExit.PageFault.class, cpu.run(0));
                assertEquals(0x7, pf.errorCode());
                assertEquals(CODE + 2, pf.rip());
            }
        }
    }

    @Test
    void anInstructionBudgetEndsTheRunWithQuantumExpiredAndResumesExactly() {
        try (Sandbox s = new Sandbox(4 << 20)) {
            Asm a = new Asm().movImm(RCX, 1000).movImm(RAX, 0);
            int loop = a.size();
            s.loadCode(CODE, a.addImm(RAX, 1).dec(RCX).jnzBack(loop).syscall().bytes());
            try (Vcpu cpu = s.cpu(CODE)) {
                int quanta = 0;
                VmExit exit;
                while ((exit = cpu.run(100)) instanceof VmExit.QuantumExpired) {
                    quanta++;
                }
                assertInstanceOf(VmExit.Syscall.class, exit);
                assertEquals(1000, cpu.get(Register.RAX));
                assertTrue(quanta >= 29, "3 instructions x 1000 iterations need 30 quanta of 100, got " + quanta);
            }
        }
    }

    @Test
    void userStateRoundTripsThroughSaveAndLoad() {
        try (Sandbox s = new Sandbox(4 << 20)) {
            s.loadCode(CODE, new Asm().syscall().bytes());
            try (Vcpu cpu = s.cpu(CODE)) {
                long[] state = cpu.saveUserState();
                for (int i = 0; i < 16; i++) {
                    state[i] = 0x1000 + i;
                }
                state[Register.USER_STATE.length - 2] = 0x7000_0000L; // FS_BASE
                cpu.loadUserState(state);
                assertEquals(0x1003, cpu.get(Register.RDX));
                assertEquals(0x7000_0000L, cpu.get(Register.FS_BASE));
            }
        }
    }

    @Test
    void unicornErrorsCarryStrerrorText() {
        try (Unicorn uc = Unicorn.openX86_64()) {
            UnicornException e = assertThrows(UnicornException.class, () -> uc.memRead(0x1000, 16));
            assertTrue(e.getMessage().contains("UC_ERR_READ_UNMAPPED"), e.getMessage());
        }
    }

    @Test
    void versionIsAtLeast21() {
        assertTrue(Integer.compareUnsigned(Unicorn.version(), 0x0201_0000) >= 0, Unicorn.versionString());
    }

    @Test
    void calibrationFindsOneOffsetForEachField() {
        ContextOffsets o = Calibration.offsets();
        assertTrue(o.oldException() > 0 && o.errorCode() > 0 && o.oldException() != o.errorCode(), o.toString());
    }
}
