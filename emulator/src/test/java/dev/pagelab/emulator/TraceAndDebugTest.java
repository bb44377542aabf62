package dev.pagelab.emulator;

import static dev.pagelab.emulator.selftest.Asm.Reg.RAX;
import static dev.pagelab.emulator.selftest.Asm.Reg.RCX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagelab.emulator.selftest.Asm;
import dev.pagelab.emulator.selftest.Sandbox;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The trace hooks and the debugger's stop check on the real libunicorn. */
class TraceAndDebugTest {
    static final long CODE = 0x40_0000L, DATA = 0x60_0000L;

    /** mov rax, 5; mov [DATA], rax; mov rcx, [DATA]; syscall */
    private static final Asm PROGRAM = new Asm().movImm(RAX, 5).store(DATA, RAX).load(RCX, DATA).syscall();

    private static Vcpu countingCpu(Sandbox s) {
        Vcpu cpu = s.machine().createVcpu(true);
        cpu.setPageTableRoot(s.root());
        cpu.set(Register.RIP, CODE);
        cpu.set(Register.RSP, 0x7FFF_F000L);
        return cpu;
    }

    /** Collects every record as its own array. */
    static final class Collector implements TraceRecords.Sink {
        final List<long[]> records = new ArrayList<>();

        @Override
        public void records(int cpu, long[] words, int length) {
            for (int i = 0; i < length; i += TraceRecords.words(words[i])) {
                records.add(java.util.Arrays.copyOfRange(words, i, i + TraceRecords.words(words[i])));
            }
        }
    }

    @Test
    void everyInstructionAndAccessIsRecordedWithBytesAndAddresses() {
        try (Sandbox s = new Sandbox(4 << 20)) {
            byte[] code = PROGRAM.bytes();
            long codeFrame = s.loadCode(CODE, code);
            long dataFrame = s.mapNew(DATA, Sandbox.USER_RW_NX);
            Collector c = new Collector();
            try (Vcpu cpu = countingCpu(s)) {
                cpu.setTrace(new TraceRecords.Options(c, 0, -1L, true));
                assertInstanceOf(VmExit.Syscall.class, cpu.run(0));
            }
            List<long[]> insns = c.records.stream().filter(r -> TraceRecords.kind(r[0]) == TraceRecords.INSN).toList();
            assertEquals(4, insns.size(), "four instructions, the iretq into user mode not among them");
            long rip = CODE;
            for (int i = 0; i < 4; i++) {
                long[] r = insns.get(i);
                assertEquals(i, TraceRecords.index(r[0]));
                assertEquals(rip, r[1]);
                assertEquals((codeFrame << 12) + (rip - CODE), r[2], "physical address of the instruction");
                assertEquals(code[(int) (rip - CODE)], (byte) r[3], "first byte of the instruction");
                rip += TraceRecords.size(r[0]);
            }
            assertEquals(CODE + code.length, rip, "the sizes add up to the program");
            long[] write = c.records.stream().filter(r -> TraceRecords.kind(r[0]) == TraceRecords.WRITE).findFirst()
                    .orElseThrow();
            assertEquals(1, TraceRecords.index(write[0]));
            assertEquals(8, TraceRecords.size(write[0]));
            assertEquals(DATA, write[1]);
            assertEquals(dataFrame << 12, write[2]);
            assertEquals(5, write[3]);
            long[] read = c.records.stream().filter(r -> TraceRecords.kind(r[0]) == TraceRecords.READ
                    && r[1] == DATA).findFirst().orElseThrow();
            assertEquals(2, TraceRecords.index(read[0]));
            assertEquals(5, read[3]);
        }
    }

    @Test
    void aRangeRecordsOnlyItsInstructionsButIndexesCountEveryOneAndOffMeansNothing() {
        try (Sandbox s = new Sandbox(4 << 20)) {
            s.loadCode(CODE, PROGRAM.bytes());
            s.mapNew(DATA, Sandbox.USER_RW_NX);
            Collector c = new Collector();
            try (Vcpu cpu = countingCpu(s)) {
                long second = CODE + 10; // movImm is 10 bytes
                cpu.setTrace(new TraceRecords.Options(c, second, second, false));
                cpu.run(0);
                assertEquals(1, c.records.size());
                assertEquals(1, TraceRecords.index(c.records.get(0)[0]));
                assertEquals(second, c.records.get(0)[1]);
                cpu.setTrace(null);
                cpu.set(Register.RIP, CODE);
                assertInstanceOf(VmExit.Syscall.class, cpu.run(0));
                assertEquals(1, c.records.size(), "no records once tracing is off");
            }
        }
    }

    @Test
    void aBreakpointStopsBeforeItsInstructionWhichIsNotCountedAndResumesPastIt() {
        try (Sandbox s = new Sandbox(4 << 20)) {
            s.loadCode(CODE, PROGRAM.bytes());
            long dataFrame = s.mapNew(DATA, Sandbox.USER_RW_NX);
            try (Vcpu cpu = countingCpu(s)) {
                DebugControl d = cpu.attachDebugger();
                long third = CODE + 10 + 8; // after movImm (10) and store (8)
                d.setBreakpoints(new long[] {third});
                VmExit exit = cpu.run(0);
                assertEquals(new VmExit.QuantumExpired(third), exit);
                assertEquals(DebugControl.BREAKPOINT, d.stopReason());
                assertEquals(2, cpu.instructions());
                d.setResumeRip(third);
                assertInstanceOf(VmExit.Syscall.class, cpu.run(0));
                assertEquals(4, cpu.instructions());
                assertEquals(5, s.memory().readLong(dataFrame << 12), "the store before the breakpoint happened");
            }
        }
    }

    @Test
    void aStepRunsOneInstructionAndAWriteWatchStopsRightAfterTheStore() {
        try (Sandbox s = new Sandbox(4 << 20)) {
            s.loadCode(CODE, PROGRAM.bytes());
            long dataFrame = s.mapNew(DATA, Sandbox.USER_RW_NX);
            try (Vcpu cpu = countingCpu(s)) {
                DebugControl d = cpu.attachDebugger();
                d.setStep(true);
                assertEquals(new VmExit.QuantumExpired(CODE + 10), cpu.run(0));
                assertEquals(DebugControl.STEP, d.stopReason());
                assertEquals(1, cpu.instructions());
                d.setStep(false);
                cpu.setWatchpoints(new long[] {(dataFrame << 12) + 4}, new long[] {(dataFrame << 12) + 8},
                        new int[] {DebugControl.WATCH_WRITE});
                assertEquals(new VmExit.QuantumExpired(CODE + 18), cpu.run(0), "stopped after the 8-byte store");
                assertEquals(DebugControl.WATCHPOINT, d.stopReason());
                assertEquals(0, d.watchHit());
                assertEquals((dataFrame << 12) + 4, d.watchPhysical());
                assertEquals(2, cpu.instructions());
                cpu.detachDebugger();
                assertInstanceOf(VmExit.Syscall.class, cpu.run(0));
                assertTrue(cpu.instructions() == 4, "runs on without the debugger: " + cpu.instructions());
            }
        }
    }
}
