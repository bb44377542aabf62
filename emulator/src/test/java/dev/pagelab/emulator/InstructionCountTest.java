package dev.pagelab.emulator;

import static dev.pagelab.emulator.selftest.Asm.Reg.RAX;
import static dev.pagelab.emulator.selftest.Asm.Reg.RCX;
import static dev.pagelab.emulator.selftest.Asm.Reg.RDX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagelab.emulator.selftest.Asm;
import dev.pagelab.emulator.selftest.Sandbox;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The native counting loop: exact retired-instruction counts and exact budgets (per block, not per instruction). */
class InstructionCountTest {
    static final long CODE = 0x40_0000L, DATA = 0x60_0000L;
    static final long TF = 1L << 8;

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
    void budgetsOfOneStepEveryInstructionAndLeaveTrapFlagClear() {
        try (Sandbox s = new Sandbox(4 << 20)) {
            s.loadCode(CODE, loop(10));
            try (Vcpu cpu = countingCpu(s)) {
                List<Long> rips = new ArrayList<>();
                VmExit exit;
                while ((exit = cpu.run(1)) instanceof VmExit.QuantumExpired q) {
                    assertEquals(rips.size() + 1, cpu.instructions());
                    assertEquals(0, cpu.get(Register.RFLAGS) & TF, "TF must not leak to the guest state");
                    rips.add(q.rip());
                }
                assertInstanceOf(VmExit.Syscall.class, exit);
                assertEquals(2 + 3 * 10 + 1, cpu.instructions());
                assertEquals(10, cpu.get(Register.RAX));
                // each step stopped one instruction further: mov, mov, then add/dec/jnz ten times
                assertEquals(CODE + 10, (long) rips.get(0));
                assertEquals(CODE + 20, (long) rips.get(1));
            }
        }
    }

    @Test
    void aFaultInTheMiddleOfABlockCountsOnlyTheInstructionsBeforeIt() {
        try (Sandbox s = new Sandbox(4 << 20)) {
            s.loadCode(CODE, new Asm().nop().nop().nop().store(DATA, RAX).nop().syscall().bytes());
            try (Vcpu cpu = countingCpu(s)) {
                VmExit.PageFault pf = assertInstanceOf(VmExit.PageFault.class, cpu.run(0));
                assertEquals(CODE + 3, pf.rip());
                assertEquals(3, cpu.instructions());
                s.mapNew(DATA, Sandbox.USER_RW_NX);
                assertInstanceOf(VmExit.Syscall.class, cpu.run(0));
                assertEquals(6, cpu.instructions());
            }
        }
    }

    @Test
    void theSameAddressAndSizeInAnotherAddressSpaceIsCountedByItsOwnCode() {
        byte[] fiveInstructions = {(byte) 0x90, (byte) 0x90, (byte) 0x90, (byte) 0x90, 0x0F, 0x05};
        byte[] threeInstructions = {0x66, (byte) 0x90, 0x66, (byte) 0x90, 0x0F, 0x05};
        try (Sandbox s = new Sandbox(4 << 20)) {
            s.loadCode(CODE, fiveInstructions);
            long otherRoot = s.allocFrame() << PhysicalMemory.PAGE_SHIFT;
            s.machine().installFirmware(otherRoot);
            long frame = s.allocFrame();
            s.memory().write(frame << PhysicalMemory.PAGE_SHIFT, threeInstructions);
            X86Paging.map(s.memory(), otherRoot, CODE, frame, Sandbox.USER_RX, s::allocFrame);
            try (Vcpu cpu = countingCpu(s)) {
                long[] expected = {5, 3, 5, 3};
                long total = 0;
                for (int i = 0; i < expected.length; i++) {
                    cpu.setPageTableRoot(i % 2 == 0 ? s.root() : otherRoot);
                    cpu.set(Register.RIP, CODE);
                    assertInstanceOf(VmExit.Syscall.class, cpu.run(0));
                    total += expected[i];
                    assertEquals(total, cpu.instructions(), "run " + i);
                }
            }
        }
    }

    @Test
    void countsStayExactAcrossTranslationFlushes() {
        try (Sandbox s = new Sandbox(4 << 20)) {
            s.loadCode(CODE, loop(500));
            try (Vcpu cpu = countingCpu(s)) {
                VmExit exit;
                long before = 0;
                while ((exit = cpu.run(37)) instanceof VmExit.QuantumExpired) {
                    assertEquals(37, cpu.instructions() - before);
                    before = cpu.instructions();
                    cpu.flushTranslationCache();
                }
                assertInstanceOf(VmExit.Syscall.class, exit);
                assertEquals(2 + 3 * 500 + 1, cpu.instructions());
                assertTrue(cpu.get(Register.RAX) == 500);
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

    /**
     * Small budgets (as the explorer's) with a breakpoint inside the first block and at the loop's
     * top: every run stops where an instruction-by-instruction check would (the budget first, then
     * the breakpoint, never at a run's first instruction), with the same counts.
     */
    @Test
    void breakpointsAndSmallBudgetsStopWhereAPerInstructionCheckWould() {
        int n = 10;
        long top = CODE + new Asm().movImm(RCX, n).movImm(RAX, 0).size();
        int syscallIndex = 2 + 3 * n; // mov, mov, (add, dec, jnz) * n, syscall
        for (long budget : new long[] {1, 2, 3, 4, 5, 7, 9, 100, 0}) {
            try (Sandbox s = new Sandbox(4 << 20)) {
                s.loadCode(CODE, loop(n));
                try (Vcpu cpu = countingCpu(s)) {
                    cpu.setBreakpoints(new long[] {top});
                    int pos = 0; // the model: index of the next instruction
                    for (int run = 0; ; run++) {
                        String where = "budget " + budget + ", run " + run;
                        assertTrue(run < 200, where);
                        int executed = 0;
                        long expectedHit = 0;
                        boolean syscall = false;
                        while (true) {
                            if (budget > 0 && executed == budget) {
                                break;
                            }
                            boolean atTop = pos >= 2 && pos < syscallIndex && (pos - 2) % 3 == 0;
                            if (executed > 0 && atTop) {
                                expectedHit = top;
                                break;
                            }
                            executed++;
                            if (pos++ == syscallIndex) {
                                syscall = true;
                                break;
                            }
                        }
                        VmExit exit = cpu.run(budget);
                        assertEquals(pos, cpu.instructions(), where);
                        assertEquals(expectedHit, cpu.breakpointHit(), where);
                        if (syscall) {
                            assertInstanceOf(VmExit.Syscall.class, exit, where);
                            break;
                        }
                        VmExit.QuantumExpired q = assertInstanceOf(VmExit.QuantumExpired.class, exit, where);
                        if (expectedHit != 0) {
                            assertEquals(top, q.rip(), where);
                        }
                        assertEquals(0, cpu.get(Register.RFLAGS) & TF, where);
                    }
                    assertEquals(n, cpu.get(Register.RAX));
                }
            }
        }
    }

    /** racecount's loop, shaped alike: load, add, add, store, dec, jnz, n times; then syscall. */
    private static byte[] counterLoop(int n) {
        Asm a = new Asm().movImm(RCX, n).movImm(RDX, 0);
        int top = a.size();
        return a.load(RAX, DATA).addImm(RDX, 1).addImm(RAX, 1).store(DATA, RAX).dec(RCX).jnzBack(top).syscall()
                .bytes();
    }

    /** The address of every instruction an unlimited traced run retires, in order (the ground truth). */
    private static List<Long> tracedAddresses(Sandbox s) {
        List<Long> rips = new ArrayList<>();
        TraceRecords.Sink sink = (id, words, length) -> {
            for (int i = 0; i < length; i += TraceRecords.words(words[i])) {
                if (TraceRecords.kind(words[i]) == TraceRecords.INSN) {
                    assertEquals(rips.size(), TraceRecords.index(words[i]), "trace records in order");
                    rips.add(words[i + 1]);
                }
            }
        };
        try (Vcpu cpu = countingCpu(s)) {
            cpu.setTrace(new TraceRecords.Options(sink, 0, -1L, true));
            assertInstanceOf(VmExit.Syscall.class, cpu.run(0));
            assertEquals(rips.size(), cpu.instructions(), "the traced unlimited run counts what it traced");
        }
        return rips;
    }

    /**
     * A budget stops at the same instruction with the same retired count whether a trace's
     * per-instruction hook is installed or not: every budget from 1 to the whole loop, each from
     * the start on the same (warm, chained) translations, then a run of mixed budgets to the end.
     * Regression: with a code hook installed, a stop before a block entered by a chained jump left
     * RIP at that jump, which the next run executed again (one instruction behind, counted right).
     */
    @Test
    void budgetsStopAtTheSameInstructionTracedOrNot() {
        int n = 40;
        try (Sandbox s = new Sandbox(4 << 20)) {
            s.loadCode(CODE, counterLoop(n));
            s.mapNew(DATA, Sandbox.USER_RW_NX);
            List<Long> truth = tracedAddresses(s);
            int total = 2 + 6 * n + 1;
            assertEquals(total, truth.size());
            for (boolean traced : new boolean[] {false, true}) {
                try (Vcpu cpu = countingCpu(s)) {
                    if (traced) {
                        cpu.setTrace(new TraceRecords.Options((id, words, length) -> { }, 0, -1L, true));
                    }
                    for (int budget = 1; budget < total; budget++) {
                        String where = (traced ? "traced" : "untraced") + ", budget " + budget;
                        cpu.set(Register.RIP, CODE);
                        long before = cpu.instructions();
                        VmExit.QuantumExpired q = assertInstanceOf(VmExit.QuantumExpired.class, cpu.run(budget), where);
                        assertEquals(budget, cpu.instructions() - before, where);
                        assertEquals((long) truth.get(budget), q.rip(), where);
                        assertEquals((long) truth.get(budget), cpu.get(Register.RIP), where);
                    }
                    cpu.set(Register.RIP, CODE);
                    long before = cpu.instructions();
                    VmExit exit;
                    int done = 0;
                    for (int budget = 1; (exit = cpu.run(budget)) instanceof VmExit.QuantumExpired q; budget = budget % 23 + 1) {
                        done += budget;
                        String where = (traced ? "traced" : "untraced") + ", mixed budgets, " + done + " in";
                        assertEquals(done, cpu.instructions() - before, where);
                        assertEquals((long) truth.get(done), q.rip(), where);
                    }
                    assertInstanceOf(VmExit.Syscall.class, exit);
                    assertEquals(total, cpu.instructions() - before, "the whole loop, once");
                    assertEquals(n, cpu.get(Register.RDX));
                }
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
