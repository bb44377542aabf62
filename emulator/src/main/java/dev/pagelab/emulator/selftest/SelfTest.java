package dev.pagelab.emulator.selftest;

import static dev.pagelab.emulator.selftest.Asm.Reg.RAX;
import static dev.pagelab.emulator.selftest.Asm.Reg.RBX;
import static dev.pagelab.emulator.selftest.Asm.Reg.RCX;
import static dev.pagelab.emulator.selftest.Asm.Reg.RDI;
import static dev.pagelab.emulator.selftest.Asm.Reg.RDX;

import dev.pagelab.emulator.PhysicalMemory;
import dev.pagelab.emulator.Pte;
import dev.pagelab.emulator.Register;
import dev.pagelab.emulator.Vcpu;
import dev.pagelab.emulator.VmExit;
import dev.pagelab.emulator.X86Paging;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The machine's self-test: each check runs guest code on the real libunicorn engine and compares
 * what the MMU and CPU did with what x86-64 hardware does. Used by {@code pagelab selftest} and,
 * check by check, by the JUnit suite.
 */
public final class SelfTest {
    private SelfTest() {}

    static final long MEMORY = 16L << 20;
    static final long CODE = 0x40_0000L;
    static final long DATA = 0x60_0000L;

    /** A check: a name, a one-line description, and the code that observes and judges. */
    public record Check(String name, String description, Supplier<Outcome> body) {
        public CheckResult run() {
            try {
                Outcome o = body.get();
                return new CheckResult(name, description, o.passed, o.observed);
            } catch (RuntimeException e) {
                return new CheckResult(name, description, false, "threw " + e);
            }
        }
    }

    /** What a check saw and whether that is what hardware does. */
    public record Outcome(boolean passed, String observed) {}

    public static List<Check> checks() {
        return List.of(
                new Check("non_identity_mapping", "code and data at virtual pages backed by other physical frames",
                        SelfTest::nonIdentityMapping),
                new Check("accessed_dirty_bits", "a read sets A only; a write sets A and D; A on every walk level",
                        SelfTest::accessedDirty),
                new Check("page_fault_error_codes", "exact #PF error codes: 0x4 0x6 0x7 0x15 0x5",
                        SelfTest::errorCodes),
                new Check("stale_tlb", "a store through a stale TLB entry lands without a fault until flushTlb()",
                        SelfTest::staleTlb),
                new Check("consecutive_faults", "10,000 page faults handled and resumed, none a double fault",
                        SelfTest::consecutiveFaults),
                new Check("two_cpus_shared_memory", "two CPUs on one RAM see each other's stores and A/D bits",
                        SelfTest::twoCpus),
                new Check("syscall_exit", "syscall exits with number and six arguments; RAX result on resume",
                        SelfTest::syscallExit),
                new Check("cpu_exceptions", "#UD, #GP, #DE come back as CpuException; a wild jump is a fetch #PF",
                        SelfTest::cpuExceptions));
    }

    public static List<CheckResult> runAll() {
        List<CheckResult> results = new ArrayList<>();
        for (Check c : checks()) {
            results.add(c.run());
        }
        return results;
    }

    // ---- a. non-identity mapping ----------------------------------------------------------------

    static Outcome nonIdentityMapping() {
        try (Sandbox s = new Sandbox(MEMORY)) {
            long value = 0x1122_3344_5566_7788L;
            byte[] code = new Asm().movImm(RAX, value).store(DATA, RAX).load(RBX, DATA + 8).syscall().bytes();
            long codeFrame = s.loadCode(CODE, code);
            long dataFrame = s.mapNew(DATA, Sandbox.USER_RW_NX);
            long dataPhys = dataFrame << PhysicalMemory.PAGE_SHIFT;
            s.memory().writeLong(dataPhys + 8, 0x0BAD_CAFEL);
            try (Vcpu cpu = s.cpu(CODE)) {
                VmExit exit = cpu.run(0);
                long stored = s.memory().readLong(dataPhys);
                long identity = s.memory().readLong(DATA);
                long loaded = cpu.get(Register.RBX);
                boolean ok = exit instanceof VmExit.Syscall && codeFrame << 12 != CODE && dataPhys != DATA
                        && stored == value && identity != value && loaded == 0x0BAD_CAFEL;
                return new Outcome(ok, String.format(
                        "code va 0x%x -> pa 0x%x, data va 0x%x -> pa 0x%x; store landed at pa 0x%x (0x%x), "
                                + "pa 0x%x untouched (0x%x); load saw 0x%x; exit %s",
                        CODE, codeFrame << 12, DATA, dataPhys, dataPhys, stored, DATA, identity, loaded, exit));
            }
        }
    }

    // ---- b. accessed / dirty ------------------------------------------------------------------

    static Outcome accessedDirty() {
        try (Sandbox s = new Sandbox(MEMORY)) {
            long readPage = DATA, writePage = DATA + 0x20_0000L; // different page tables
            s.loadCode(CODE, new Asm().load(RAX, readPage).store(writePage, RAX).syscall().bytes());
            s.mapNew(readPage, Sandbox.USER_RW_NX);
            s.mapNew(writePage, Sandbox.USER_RW_NX);
            try (Vcpu cpu = s.cpu(CODE)) {
                VmExit exit = cpu.run(0);
                X86Paging.Walk r = X86Paging.walk(s.memory(), s.root(), readPage);
                X86Paging.Walk w = X86Paging.walk(s.memory(), s.root(), writePage);
                boolean readOk = r.leaf().accessed() && !r.leaf().dirty();
                boolean writeOk = w.leaf().accessed() && w.leaf().dirty();
                boolean levelsOk = allAccessed(r) && allAccessed(w);
                return new Outcome(exit instanceof VmExit.Syscall && readOk && writeOk && levelsOk, String.format(
                        "read page PTE [%s], written page PTE [%s], A on PML4/PDPT/PD of read walk: %s, of write "
                                + "walk: %s", r.leaf().flagNames(), w.leaf().flagNames(), levelFlags(r),
                        levelFlags(w)));
            }
        }
    }

    private static boolean allAccessed(X86Paging.Walk walk) {
        for (int level = 0; level < walk.depth(); level++) {
            if ((walk.entries()[level] & Pte.A) == 0) {
                return false;
            }
        }
        return walk.depth() == X86Paging.LEVELS;
    }

    private static String levelFlags(X86Paging.Walk walk) {
        StringBuilder s = new StringBuilder();
        for (int level = 0; level < walk.depth() - 1; level++) {
            s.append(level == 0 ? "" : "/").append((walk.entries()[level] & Pte.A) != 0 ? "A" : "-");
        }
        return s.toString();
    }

    // ---- c. error codes -----------------------------------------------------------------------

    private record FaultCase(String what, int expected, long address, byte[] code) {}

    static Outcome errorCodes() {
        long notPresent = DATA, readOnly = DATA + 0x1000, nxPage = DATA + 0x2000, supervisor = DATA + 0x3000;
        List<FaultCase> cases = List.of(
                new FaultCase("user read, not present", 0x4, notPresent, new Asm().load(RAX, notPresent).bytes()),
                new FaultCase("user write, not present", 0x6, notPresent, new Asm().store(notPresent, RAX).bytes()),
                new FaultCase("user write, read-only", 0x7, readOnly, new Asm().store(readOnly, RAX).bytes()),
                new FaultCase("user fetch, NX page", 0x15, nxPage, new Asm().movImm(RAX, nxPage).jmp(RAX).bytes()),
                new FaultCase("user read, supervisor page", 0x5, supervisor, new Asm().load(RAX, supervisor).bytes()));
        try (Sandbox s = new Sandbox(MEMORY)) {
            s.mapNew(readOnly, Pte.P | Pte.US | Pte.NX);
            s.mapNew(nxPage, Sandbox.USER_RW_NX);
            s.mapNew(supervisor, Pte.P | Pte.RW | Pte.NX);
            StringBuilder seen = new StringBuilder();
            boolean ok = true;
            try (Vcpu cpu = s.cpu(CODE)) {
                for (int i = 0; i < cases.size(); i++) {
                    FaultCase c = cases.get(i);
                    long at = CODE + 0x1000L * (i + 1);
                    s.loadCode(at, c.code);
                    cpu.set(Register.RIP, at);
                    VmExit exit = cpu.run(0);
                    boolean match = exit instanceof VmExit.PageFault pf && pf.errorCode() == c.expected
                            && pf.address() == c.address;
                    ok &= match;
                    seen.append(String.format("%s%s: %s", i == 0 ? "" : "; ", c.what,
                            exit instanceof VmExit.PageFault pf ? String.format("0x%x", pf.errorCode()) : exit));
                }
            }
            return new Outcome(ok, seen.toString());
        }
    }

    // ---- d. stale TLB -------------------------------------------------------------------------

    static Outcome staleTlb() {
        try (Sandbox s = new Sandbox(MEMORY)) {
            byte[] code = new Asm().movImm(RAX, 1).store(DATA, RAX).syscall()
                    .movImm(RBX, 2).store(DATA + 8, RBX).syscall()
                    .movImm(RCX, 3).store(DATA + 16, RCX).syscall().bytes();
            s.loadCode(CODE, code);
            long frame = s.mapNew(DATA, Sandbox.USER_RW_NX);
            long pa = frame << PhysicalMemory.PAGE_SHIFT;
            long pteAddr = s.pteAddress(DATA);
            try (Vcpu cpu = s.cpu(CODE)) {
                VmExit first = cpu.run(0); // the store fills the TLB with a writable, dirty entry
                Pte cleaned = new Pte(s.memory().readLongVolatile(pteAddr)).wrprotect().mkclean();
                s.memory().writeLongVolatile(pteAddr, cleaned.value()); // no flush: the TLB is stale
                VmExit second = cpu.run(0);
                long landed = s.memory().readLong(pa + 8);
                Pte afterStale = new Pte(s.memory().readLongVolatile(pteAddr));
                cpu.flushTlb();
                VmExit third = cpu.run(0);
                boolean ok = first instanceof VmExit.Syscall && second instanceof VmExit.Syscall && landed == 2
                        && !afterStale.dirty() && !afterStale.writable()
                        && third instanceof VmExit.PageFault pf && pf.errorCode() == 0x7 && pf.address() == DATA + 16;
                return new Outcome(ok, String.format(
                        "after clearing RW|D without flush: store %s, memory holds %d, PTE [%s]; after flushTlb(): %s",
                        second instanceof VmExit.Syscall ? "did not fault" : "faulted: " + second, landed,
                        afterStale.flagNames(), third));
            }
        }
    }

    // ---- e. consecutive faults ----------------------------------------------------------------

    static final int FAULTS = 10_000;

    static Outcome consecutiveFaults() {
        try (Sandbox s = new Sandbox(MEMORY)) {
            long base = 0x1000_0000L;
            Asm a = new Asm().movImm(RDI, base).movImm(RCX, FAULTS);
            int loop = a.size();
            byte[] code = a.storeIndirect(RDI, RCX).addImm(RDI, 4096).dec(RCX).jnzBack(loop).syscall().bytes();
            s.loadCode(CODE, code);
            long shared = s.allocFrame(); // every page maps the same frame: faults, not RAM, are measured
            int handled = 0;
            String problem = null;
            try (Vcpu cpu = s.cpu(CODE)) {
                for (VmExit exit = cpu.run(0); !(exit instanceof VmExit.Syscall); exit = cpu.run(0)) {
                    long expected = base + 4096L * handled;
                    if (!(exit instanceof VmExit.PageFault pf) || pf.errorCode() != 0x6 || pf.address() != expected) {
                        problem = "fault " + (handled + 1) + " was " + exit + " (expected a write #PF at 0x"
                                + Long.toHexString(expected) + ")";
                        break;
                    }
                    s.map(pf.address(), shared, Sandbox.USER_RW_NX);
                    handled++;
                }
            }
            boolean ok = problem == null && handled == FAULTS;
            return new Outcome(ok, problem != null ? problem
                    : handled + " write faults at consecutive pages handled and resumed; no double fault");
        }
    }

    // ---- f. two CPUs ----------------------------------------------------------------------------

    static Outcome twoCpus() {
        try (Sandbox s = new Sandbox(MEMORY)) {
            long page0 = DATA, page1 = DATA + 0x1000;
            s.loadCode(CODE, new Asm().movImm(RAX, 0xC0FFEE).store(page0, RAX).syscall().bytes());
            s.loadCode(CODE + 0x1000, new Asm().load(RBX, page0).store(page1, RBX).syscall().bytes());
            s.mapNew(page0, Sandbox.USER_RW_NX);
            s.mapNew(page1, Sandbox.USER_RW_NX);
            try (Vcpu cpu0 = s.cpu(CODE); Vcpu cpu1 = s.cpu(CODE + 0x1000)) {
                VmExit e0 = cpu0.run(0);
                Pte p0AfterCpu0 = s.pte(page0);
                VmExit e1 = cpu1.run(0);
                long seenByCpu1 = cpu1.get(Register.RBX);
                Pte p1AfterCpu1 = s.pte(page1);
                boolean ok = e0 instanceof VmExit.Syscall && e1 instanceof VmExit.Syscall && seenByCpu1 == 0xC0FFEE
                        && p0AfterCpu0.dirty() && p1AfterCpu1.dirty() && cpu0.id() != cpu1.id();
                return new Outcome(ok, String.format(
                        "cpu%d stored 0x%x, cpu%d loaded 0x%x; PTE of page written by cpu0 [%s], by cpu1 [%s]",
                        cpu0.id(), 0xC0FFEE, cpu1.id(), seenByCpu1, p0AfterCpu0.flagNames(), p1AfterCpu1.flagNames()));
            }
        }
    }

    // ---- g. syscall -------------------------------------------------------------------------------

    static Outcome syscallExit() {
        try (Sandbox s = new Sandbox(MEMORY)) {
            Asm a = new Asm().movImm(RAX, 257).movImm(RDI, 11).movImm(Asm.Reg.RSI, 22).movImm(RDX, 33)
                    .movImm(Asm.Reg.R10, 44).movImm(Asm.Reg.R8, 55).movImm(Asm.Reg.R9, 66).syscall();
            long after = CODE + a.size();
            a.movImm(RBX, 0).add(RBX, RAX).movImm(RAX, 60).movImm(RDI, 0).add(RDI, RBX).syscall();
            s.loadCode(CODE, a.bytes());
            try (Vcpu cpu = s.cpu(CODE)) {
                VmExit first = cpu.run(0);
                long rcx = cpu.get(Register.RCX);
                cpu.set(Register.RAX, 4242);
                VmExit second = cpu.run(0);
                boolean ok = first instanceof VmExit.Syscall sc && sc.number() == 257 && sc.arg1() == 11
                        && sc.arg2() == 22 && sc.arg3() == 33 && sc.arg4() == 44 && sc.arg5() == 55 && sc.arg6() == 66
                        && sc.rip() == after && rcx == after
                        && second instanceof VmExit.Syscall sc2 && sc2.number() == 60 && sc2.arg1() == 4242;
                return new Outcome(ok, String.format("first exit %s (RCX=0x%x); after RAX=4242, guest passed %s",
                        first, rcx, second instanceof VmExit.Syscall sc2 ? "arg1=" + sc2.arg1() : second));
            }
        }
    }

    // ---- h. CPU exceptions ----------------------------------------------------------------------

    private record ExceptionCase(String what, byte[] code, int vector) {}

    static Outcome cpuExceptions() {
        List<ExceptionCase> cases = List.of(
                new ExceptionCase("ud2", new Asm().ud2().bytes(), 6),
                new ExceptionCase("hlt at CPL 3", new Asm().hlt().bytes(), 13),
                new ExceptionCase("non-canonical load", new Asm().movImm(RAX, 0x8000_0000_0000_0000L)
                        .loadIndirect(RBX, RAX).bytes(), 13),
                new ExceptionCase("divide by zero", new Asm().movImm(RCX, 0).movImm(RDX, 0).movImm(RAX, 1)
                        .div(RCX).bytes(), 0));
        try (Sandbox s = new Sandbox(MEMORY)) {
            StringBuilder seen = new StringBuilder();
            boolean ok = true;
            try (Vcpu cpu = s.cpu(CODE)) {
                for (int i = 0; i < cases.size(); i++) {
                    ExceptionCase c = cases.get(i);
                    long at = CODE + 0x1000L * i;
                    s.loadCode(at, c.code);
                    cpu.set(Register.RIP, at);
                    VmExit exit = cpu.run(0);
                    ok &= exit instanceof VmExit.CpuException ce && ce.vector() == c.vector;
                    seen.append(c.what).append(": ").append(exit).append("; ");
                }
                long wild = 0x7777_0000L;
                long at = CODE + 0x1000L * cases.size();
                s.loadCode(at, new Asm().movImm(RAX, wild).jmp(RAX).bytes());
                cpu.set(Register.RIP, at);
                VmExit exit = cpu.run(0);
                ok &= exit instanceof VmExit.PageFault pf && pf.fetch() && pf.address() == wild && pf.rip() == wild;
                seen.append("jump to unmapped 0x7777_0000: ").append(exit);
            }
            return new Outcome(ok, seen.toString());
        }
    }
}
