package dev.pagelab.emulator;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Finds {@link ContextOffsets} once per process by faulting on purpose in a scratch machine and
 * diffing the saved contexts (hardware-facts.md section 4): {@code old_exception} is the int32 that
 * goes from -1 to 14 at every #PF; {@code error_code} is the int32 that holds 4, then 7, then 6 for
 * a user read of a not-present page, a user write to a read-only page and a user write to a
 * not-present page. Anything other than exactly one candidate for each is a refusal to run.
 */
public final class Calibration {
    private Calibration() {}

    private static final long CODE_VA = 0x40_0000L, PAGE_A = 0x60_0000L, PAGE_B = 0x60_1000L;
    /**
     * mov rax,[PAGE_A]; mov [PAGE_A],rax; mov [PAGE_B],rax; syscall.
     */
    private static final byte[] PROGRAM = {
        0x48, (byte) 0x8B, 0x04, 0x25, 0x00, 0x00, 0x60, 0x00,
        0x48, (byte) 0x89, 0x04, 0x25, 0x00, 0x00, 0x60, 0x00,
        0x48, (byte) 0x89, 0x04, 0x25, 0x00, 0x10, 0x60, 0x00,
        0x0F, 0x05,
    };

    private static ContextOffsets offsets; // guarded by Calibration.class
    private static RuntimeException failure; // guarded by Calibration.class

    /** The calibrated offsets; calibrates on first use and refuses (throws) if that failed. */
    public static synchronized ContextOffsets offsets() {
        if (offsets == null && failure == null) {
            try {
                offsets = calibrate();
            } catch (RuntimeException e) {
                failure = new UnicornException("libunicorn " + UnicornLibrary.format(UnicornLibrary.get().version)
                        + " calibration failed, refusing to run: " + e.getMessage());
            }
        }
        if (failure != null) {
            throw failure;
        }
        return offsets;
    }

    private static ContextOffsets calibrate() {
        try (Machine machine = new Machine(64 * PhysicalMemory.PAGE_SIZE)) {
            long[] next = {machine.firstFreeFrame()};
            PhysicalMemory mem = machine.memory();
            long root = nextZeroedFrame(mem, next) << PhysicalMemory.PAGE_SHIFT;
            machine.installFirmware(root);
            long codeFrame = nextZeroedFrame(mem, next);
            mem.write(codeFrame << PhysicalMemory.PAGE_SHIFT, PROGRAM);
            X86Paging.map(mem, root, CODE_VA, codeFrame, Pte.P | Pte.US, () -> nextZeroedFrame(mem, next));
            try (UnicornVcpu cpu = new UnicornVcpu(0, machine, null)) {
                cpu.setPageTableRoot(root);
                cpu.set(Register.RIP, CODE_VA);
                cpu.set(Register.RSP, 0x7F_F000L);
                return findOffsets(cpu, mem, root, () -> nextZeroedFrame(mem, next));
            }
        }
    }

    private static ContextOffsets findOffsets(UnicornVcpu cpu, PhysicalMemory mem, long root,
                                              java.util.function.LongSupplier frames) {
        int[] before = cpu.savedContextInts();
        List<Integer> oldException = null;
        List<Integer> errorCode = null;
        int[] expectedCodes = {4, 7, 6};
        long dataA = frames.getAsLong(), dataB = frames.getAsLong();
        for (int step = 0; step < expectedCodes.length; step++) {
            VmExit exit = cpu.run(0);
            if (!(exit instanceof VmExit.CpuException ce && ce.vector() == 14) && !(exit instanceof VmExit.PageFault)) {
                throw new UnicornException("expected a #PF at step " + (step + 1) + ", got " + exit);
            }
            int[] now = cpu.hookContextInts();
            int code = expectedCodes[step];
            int[] prior = before;
            oldException = narrow(oldException, now.length, i -> now[i] == 14 && (prior[i] == -1));
            errorCode = narrow(errorCode, now.length, i -> now[i] == code);
            for (int offset : oldException) {
                cpu.patchContext(offset * 4, -1);
            }
            before = cpu.savedContextInts();
            switch (step) {
                case 0 -> X86Paging.map(mem, root, PAGE_A, dataA, Pte.P | Pte.US, frames);
                case 1 -> X86Paging.map(mem, root, PAGE_A, dataA, Pte.P | Pte.RW | Pte.US, frames);
                default -> X86Paging.map(mem, root, PAGE_B, dataB, Pte.P | Pte.RW | Pte.US, frames);
            }
        }
        VmExit last = cpu.run(0);
        if (!(last instanceof VmExit.Syscall)) {
            throw new UnicornException("expected the calibration program to finish with syscall, got " + last);
        }
        return new ContextOffsets(single("old_exception", oldException), single("error_code", errorCode));
    }

    private static List<Integer> narrow(List<Integer> candidates, int length, IntPredicate keep) {
        List<Integer> out = new ArrayList<>();
        if (candidates == null) {
            for (int i = 0; i < length; i++) {
                if (keep.test(i)) {
                    out.add(i);
                }
            }
        } else {
            for (int i : candidates) {
                if (keep.test(i)) {
                    out.add(i);
                }
            }
        }
        return out;
    }

    private static int single(String field, List<Integer> candidates) {
        if (candidates.size() != 1) {
            throw new UnicornException("found " + candidates.size() + " candidates for " + field + " (need exactly 1)");
        }
        return candidates.get(0) * 4;
    }

    private static long nextZeroedFrame(PhysicalMemory mem, long[] next) {
        long frame = next[0]++;
        if (frame >= mem.frames()) {
            throw new IllegalStateException("Calibration: out of frames");
        }
        mem.fill(frame << PhysicalMemory.PAGE_SHIFT, PhysicalMemory.PAGE_SIZE, (byte) 0);
        return frame;
    }
}
