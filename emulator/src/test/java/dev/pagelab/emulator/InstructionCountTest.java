package dev.pagelab.emulator;

import static dev.pagelab.emulator.selftest.Asm.Reg.RAX;
import static dev.pagelab.emulator.selftest.Asm.Reg.RCX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.pagelab.emulator.selftest.Asm;
import dev.pagelab.emulator.selftest.Sandbox;
import org.junit.jupiter.api.Test;

/** The native counting hook: exact retired-instruction counts and exact budgets. */
class InstructionCountTest {
    static final long CODE = 0x40_0000L, DATA = 0x60_0000L;

    private static byte[] loop(int n) {
        Asm a = new Asm().movImm(RCX, n).movImm(RAX, 0);
        int top = a.size();
        return a.addImm(RAX, 1).dec(RCX).jnzBack(top).syscall().bytes();
    }

    private static Vcpu countingCpu(Sandbox s) {
        Vcpu cpu = s.machine().createVcpu(true);
        cpu.setPageTableRoot(s.root());
        cpu.set(Register.RIP, CODE);
        cpu.set(Register.RSP, 0x7FFF_F000L);
        return cpu;
    }

    @Test
    void anUnlimitedRunCountsEveryRetiredInstruction() {
        try (Sandbox s = new Sandbox(4 << 20)) {
            s.loadCode(CODE, loop(1000));
            try (Vcpu cpu = countingCpu(s)) {
                assertInstanceOf(VmExit.Syscall.class, cpu.run(0));
                assertEquals(2 + 3 * 1000 + 1, cpu.instructions());
            }
        }
    }

    @Test
    void budgetsAreExactAndAddUpToTheSameTotal() {
        try (Sandbox s = new Sandbox(4 << 20)) {
            s.loadCode(CODE, loop(1000));
            try (Vcpu cpu = countingCpu(s)) {
                long before = 0;
                VmExit exit;
                while ((exit = cpu.run(100)) instanceof VmExit.QuantumExpired) {
                    assertEquals(100, cpu.instructions() - before);
                    before = cpu.instructions();
                }
                assertInstanceOf(VmExit.Syscall.class, exit);
                assertEquals(3003, cpu.instructions());
                assertEquals(1000, cpu.get(Register.RAX));
            }
        }
    }

    @Test
    void aFaultingInstructionCountsOnceWhenItRetires() {
        try (Sandbox s = new Sandbox(4 << 20)) {
            s.loadCode(CODE, new Asm().nop().store(DATA, RAX).syscall().bytes());
            try (Vcpu cpu = countingCpu(s)) {
                assertInstanceOf(VmExit.PageFault.class, cpu.run(0));
                assertEquals(1, cpu.instructions());
                s.mapNew(DATA, Sandbox.USER_RW_NX);
                assertInstanceOf(VmExit.Syscall.class, cpu.run(0));
                assertEquals(3, cpu.instructions());
            }
        }
    }

    @Test
    void anInvalidOpcodeDoesNotRetire() {
        try (Sandbox s = new Sandbox(4 << 20)) {
            s.loadCode(CODE, new Asm().nop().nop().ud2().bytes());
            try (Vcpu cpu = countingCpu(s)) {
                VmExit.CpuException e = assertInstanceOf(VmExit.CpuException.class, cpu.run(0));
                assertEquals(6, e.vector());
                assertEquals(2, cpu.instructions());
            }
        }
    }

    @Test
    void aBreakpointStopsBeforeItsInstructionEachTimeAndTheResumedRunGoesPastIt() {
        try (Sandbox s = new Sandbox(4 << 20)) {
            byte[] code = loop(1000);
            long top = CODE + new Asm().movImm(RCX, 1000).movImm(RAX, 0).size();
            s.loadCode(CODE, code);
            try (Vcpu cpu = countingCpu(s)) {
                cpu.setBreakpoints(new long[] {top});
                VmExit first = cpu.run(0);
                assertEquals(new VmExit.QuantumExpired(top), first);
                assertEquals(top, cpu.breakpointHit());
                assertEquals(2, cpu.instructions()); // the two moves; the breakpoint's add has not run
                assertEquals(new VmExit.QuantumExpired(top), cpu.run(0)); // one pass of the loop, then again
                assertEquals(5, cpu.instructions());
                assertEquals(1, cpu.get(Register.RAX));
                cpu.setBreakpoints(new long[0]);
                assertInstanceOf(VmExit.Syscall.class, cpu.run(0));
                assertEquals(0, cpu.breakpointHit());
                assertEquals(3003, cpu.instructions());
            }
        }
    }

    @Test
    void aCpuWithoutCountingSaysSo() {
        try (Sandbox s = new Sandbox(4 << 20)) {
            s.loadCode(CODE, loop(3));
            try (Vcpu cpu = s.cpu(CODE)) {
                cpu.run(0);
                assertEquals(-1, cpu.instructions());
            }
        }
    }
}
