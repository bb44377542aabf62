package dev.pagelab.emulator;

/**
 * A {@link Vcpu} backed by one libunicorn engine mapping the machine's RAM.
 *
 * <p>Hooks only record why the engine must stop and call {@code uc_emu_stop}; everything else
 * happens in {@link #run} after {@code uc_emu_start} has returned. After every exception the hook
 * swallowed, {@link #forgetException} applies the remedy of hardware-facts.md section 4: libunicorn
 * never resets QEMU's {@code old_exception}, so without it the next #PF becomes a double fault.
 *
 * <p>A counting CPU does all of that in C instead ({@link NativeRunLoop}: a block hook counts,
 * budgets end exactly by single-stepping only the last block's instructions, and the interrupt
 * and syscall hooks are native too); a CPU without counting uses the Java hooks below.
 */
final class UnicornVcpu implements Vcpu {
    private static final int EFER = 0xC000_0080;
    private static final long EFER_SCE = 1L, EFER_LME = 1L << 8, EFER_LMA = 1L << 10, EFER_NXE = 1L << 11;
    private static final long CR0_PE = 1L, CR0_MP = 1L << 1, CR0_ET = 1L << 4, CR0_NE = 1L << 5,
            CR0_WP = 1L << 16, CR0_PG = 1L << 31;
    private static final long CR4_PAE = 1L << 5, CR4_OSFXSR = 1L << 9, CR4_OSXMMEXCPT = 1L << 10;
    private static final int INTNO_PAGE_FAULT = 14;
    /** uc_err for an instruction QEMU could not decode. */
    private static final int UC_ERR_INSN_INVALID = 10;

    private static final int[] SYSCALL_REGS = {UcConst.UC_X86_REG_RAX, UcConst.UC_X86_REG_RDI,
        UcConst.UC_X86_REG_RSI, UcConst.UC_X86_REG_RDX, UcConst.UC_X86_REG_R10, UcConst.UC_X86_REG_R8,
        UcConst.UC_X86_REG_R9, UcConst.UC_X86_REG_RIP, UcConst.UC_X86_REG_RFLAGS};

    private enum Stop { NONE, INTERRUPT, SYSCALL }

    private final int id; // immutable
    private final Machine machine; // immutable
    private final Unicorn uc; // owned
    private final ContextOffsets offsets; // immutable; null only while calibrating
    private final Unicorn.Context context; // scratch for forgetException
    private final Unicorn.RegisterBatch syscallBatch, userBatch, fpuBatch, returnBatch; // preallocated
    private final long[] syscallValues = new long[SYSCALL_REGS.length];
    private final long[] returnValues = new long[2];
    private boolean userMode; // false until the first run has executed the iretq trampoline
    private Stop stop = Stop.NONE; // written by hooks during run(), read after
    private int vector; // the last intercepted vector, valid when stop == INTERRUPT
    private int lastErrorCode; // the error code of the last #PF (from the saved context)
    private long faultAddress; // CR2 of the last #PF, read in the hook
    private int[] hookContext; // calibration only: the context as saved inside the last hook
    private long cr3; // the current page-table root
    private final NativeRunLoop loop; // owned: the native run loop of a counting CPU, or null
    private long retired; // instructions retired by this CPU (counting CPUs only)
    private NativeTrace trace; // the instruction trace, or null when tracing is off
    private DebugControl debug; // the debugger's stop check, or null when none is attached

    UnicornVcpu(int id, Machine machine, ContextOffsets offsets) {
        this(id, machine, offsets, false);
    }

    /**
     * @param countInstructions run through the native loop: exact instruction counts and budgets
     *                          (a native call per translated block, not per instruction)
     */
    UnicornVcpu(int id, Machine machine, ContextOffsets offsets, boolean countInstructions) {
        this.id = id;
        this.machine = machine;
        this.offsets = offsets;
        this.uc = Unicorn.openX86_64();
        NativeRunLoop nativeLoop = null;
        try {
            uc.memMapPtr(0, machine.memory().segment());
            this.context = uc.newContext();
            this.syscallBatch = uc.batch(SYSCALL_REGS);
            this.userBatch = uc.batch(ucIds(Register.USER_STATE));
            this.fpuBatch = uc.wideBatch(UserState.fpuRegisterIds());
            this.returnBatch = uc.batch(UcConst.UC_X86_REG_RCX, UcConst.UC_X86_REG_R11);
            enterLongModeWithPaging(machine.idleRoot());
            if (countInstructions) {
                if (offsets == null) {
                    throw new IllegalStateException("UnicornVcpu: a counting CPU needs calibrated offsets");
                }
                nativeLoop = new NativeRunLoop(uc, offsets, machine.firmware().untilAddress());
            } else {
                uc.hookInterrupt(this::onInterrupt);
                uc.hookSyscall(this::onSyscall);
            }
            this.loop = nativeLoop;
        } catch (RuntimeException e) {
            uc.close();
            if (nativeLoop != null) {
                nativeLoop.close();
            }
            throw e;
        }
    }

    private static int[] ucIds(Register[] registers) {
        int[] ids = new int[registers.length];
        for (int i = 0; i < registers.length; i++) {
            ids[i] = registers[i].ucId;
        }
        return ids;
    }

    /** CR3, then CR4.PAE, then CR0.PG|WP (hardware-facts.md section 3), EFER.NXE, the GDT. */
    private void enterLongModeWithPaging(long root) {
        Firmware fw = machine.firmware();
        uc.writeTableRegister(UcConst.UC_X86_REG_GDTR, fw.gdtVirtual(), fw.gdtLimit());
        uc.writeMsr(EFER, EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE);
        uc.regWrite(UcConst.UC_X86_REG_CR3, root);
        uc.regWrite(UcConst.UC_X86_REG_CR4, CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT);
        uc.regWrite(UcConst.UC_X86_REG_CR0, CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG);
        this.cr3 = root;
    }

    @Override
    public int id() {
        return id;
    }

    // ---- hooks: record and stop, nothing else ---------------------------------------------------

    /**
     * Records the vector and, for a #PF, CR2 and the error code; applies the double-fault remedy
     * here, inside the hook, because the engine runs on until it sees the stop request and must
     * not escalate a retried fault. Then requests the stop.
     */
    private void onInterrupt(int intno) {
        stop = Stop.INTERRUPT;
        vector = intno;
        if (intno == INTNO_PAGE_FAULT) {
            faultAddress = uc.regRead(UcConst.UC_X86_REG_CR2);
        }
        forgetException();
        uc.emuStop();
    }

    private void onSyscall() {
        stop = Stop.SYSCALL;
        uc.emuStop();
    }

    // ---- run ----------------------------------------------------------------------------------

    @Override
    public VmExit run(long maxInstructions) {
        if (maxInstructions < 0) {
            throw new IllegalArgumentException("run: negative instruction budget");
        }
        return loop != null ? runCounting(maxInstructions) : runUncounted(maxInstructions);
    }

    /** The counting CPU's run: one call into {@link NativeRunLoop}, then the exit it reports. */
    private VmExit runCounting(long maxInstructions) {
        long begin = 0; // the current RIP
        long limit = maxInstructions;
        int trampoline = 0;
        if (!userMode) {
            begin = prepareIretToUser();
            trampoline = 1; // the iretq is executed (and counted) too
            limit = maxInstructions == 0 ? 0 : maxInstructions + 1;
            userMode = true;
        }
        beginHooks(trampoline);
        int reason = loop.run(begin, limit);
        long ran = loop.retired() - trampoline;
        if (ran < 0 || (limit > 0 && loop.retired() > limit)) {
            throw new IllegalStateException("UnicornVcpu: run counted " + loop.retired() + " instructions for a budget of "
                    + limit);
        }
        retired += ran;
        long rip = loop.rip();
        // A debugger's stop ends the run like another hook's uc_emu_stop: the loop counted the
        // instructions before RIP exactly (the stopped one had not begun), nothing to take back.
        boolean debugStop = debugStopped();
        VmExit exit = switch (reason) {
            case NativeRunLoop.EXIT_BUDGET, NativeRunLoop.EXIT_BREAKPOINT -> new VmExit.QuantumExpired(rip);
            case NativeRunLoop.EXIT_SYSCALL -> syscallExit();
            case NativeRunLoop.EXIT_INTERRUPT -> loop.vector() == INTNO_PAGE_FAULT
                    ? new VmExit.PageFault(loop.cr2(), loop.errorCode(), rip)
                    : new VmExit.CpuException(loop.vector(), rip);
            case NativeRunLoop.EXIT_INVALID -> new VmExit.CpuException(6, rip);
            case NativeRunLoop.EXIT_HALT -> debugStop ? new VmExit.QuantumExpired(rip) : new VmExit.Halt(rip);
            default -> throw new IllegalStateException("UnicornVcpu: unknown native exit " + reason);
        };
        endHooks(debugStop);
        return exit;
    }

    /** A CPU without counting: the Java hooks, and libunicorn's own count for a budget. */
    private VmExit runUncounted(long maxInstructions) {
        stop = Stop.NONE;
        long begin;
        long limit = maxInstructions;
        int trampoline = 0;
        if (userMode) {
            begin = uc.regRead(UcConst.UC_X86_REG_RIP);
        } else {
            begin = prepareIretToUser();
            limit = maxInstructions == 0 ? 0 : maxInstructions + 1; // the iretq runs too
            trampoline = 1;
            userMode = true;
        }
        VmExit exit;
        beginHooks(trampoline);
        try {
            uc.emuStart(begin, machine.firmware().untilAddress(), 0, limit);
            // Not only a hooked exception leaves old_exception set: the first entry through the
            // trampoline and a syscall exit do too (measured: the next #PF came back as #DF).
            resetOldException();
            exit = exitReason(limit);
        } catch (UnicornException e) {
            if (e.code() != UC_ERR_INSN_INVALID) {
                throw e;
            }
            resetOldException();
            exit = new VmExit.CpuException(6, uc.regRead(UcConst.UC_X86_REG_RIP));
        }
        endHooks(debugStopped());
        return exit;
    }

    /** Before a run: the trace and the debugger index this run's instructions from 0. */
    private void beginHooks(int trampoline) {
        if (trace != null) {
            trace.beginRun(trampoline);
        }
        if (debug != null) {
            debug.beginRun(trampoline);
        }
    }

    /** Whether the debugger's check stopped the last run. */
    private boolean debugStopped() {
        return debug != null && debug.stopReason() != DebugControl.NONE;
    }

    /**
     * After a run: the trace takes back the instruction a debugger's stop came before (its hook
     * may have recorded it before the debugger's check ran), then hands its records on.
     */
    private void endHooks(boolean debugStop) {
        if (trace != null) {
            if (debugStop) {
                trace.dropInstruction(debug.stoppedIndex());
            }
            trace.drain();
        }
    }

    /** Writes this CPU's iret frame from the current RIP/RSP/RFLAGS; returns the trampoline. */
    private long prepareIretToUser() {
        Firmware fw = machine.firmware();
        long rip = uc.regRead(UcConst.UC_X86_REG_RIP);
        long rsp = uc.regRead(UcConst.UC_X86_REG_RSP);
        long rflags = uc.regRead(UcConst.UC_X86_REG_RFLAGS) | Firmware.USER_RFLAGS;
        long kernelStack = fw.writeIretFrame(id, rip, rflags, rsp);
        uc.regWrite(UcConst.UC_X86_REG_RSP, kernelStack);
        return fw.trampolineVirtual();
    }

    private VmExit exitReason(long limit) {
        return switch (stop) {
            case SYSCALL -> syscallExit();
            case INTERRUPT -> interruptExit();
            case NONE -> {
                long rip = uc.regRead(UcConst.UC_X86_REG_RIP);
                if (debugStopped()) {
                    yield new VmExit.QuantumExpired(rip);
                }
                yield limit > 0 ? new VmExit.QuantumExpired(rip) : new VmExit.Halt(rip);
            }
        };
    }

    @Override
    public long instructions() {
        return loop == null ? -1 : retired;
    }

    /** Reads number and arguments; applies syscall's own effects: RCX = RIP, R11 = RFLAGS. */
    private VmExit syscallExit() {
        long[] v = syscallValues;
        uc.regReadBatch(syscallBatch, v);
        returnValues[0] = v[7];
        returnValues[1] = v[8];
        uc.regWriteBatch(returnBatch, returnValues);
        return new VmExit.Syscall(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
    }

    private VmExit interruptExit() {
        int intno = vector;
        long rip = uc.regRead(UcConst.UC_X86_REG_RIP);
        if (intno == INTNO_PAGE_FAULT) {
            return new VmExit.PageFault(faultAddress, lastErrorCode, rip);
        }
        return new VmExit.CpuException(intno, rip);
    }

    /**
     * The double-fault remedy: save the context, read the #PF error code, reset
     * {@code old_exception} to -1, restore. During calibration (no offsets yet) it only keeps a
     * copy of the context for {@link Calibration} to diff.
     */
    private void forgetException() {
        if (offsets == null) {
            context.save();
            hookContext = context.ints();
            return;
        }
        context.save();
        lastErrorCode = context.getInt(offsets.errorCode());
        context.setInt(offsets.oldException(), -1);
        context.restore();
    }

    private void resetOldException() {
        if (offsets != null) {
            context.save();
            context.setInt(offsets.oldException(), -1);
            context.restore();
        }
    }

    /** For {@link Calibration}: the context as saved inside the last interrupt hook. */
    int[] hookContextInts() {
        return hookContext;
    }

    /** For {@link Calibration}: the engine's saved context, as ints. */
    int[] savedContextInts() {
        context.save();
        return context.ints();
    }

    /** For {@link Calibration}: patch one int of the context and restore it. */
    void patchContext(int offset, int value) {
        context.save();
        context.setInt(offset, value);
        context.restore();
    }

    // ---- registers and MMU ----------------------------------------------------------------------

    @Override
    public long get(Register register) {
        return uc.regRead(register.ucId);
    }

    @Override
    public void set(Register register, long value) {
        uc.regWrite(register.ucId, value);
    }

    /** The integer registers, then the x87/SSE state (Linux: fxsave on switch_fpu_prepare). */
    @Override
    public long[] saveUserState() {
        long[] state = new long[UserState.LENGTH];
        long[] part = new long[Math.max(userBatch.longs(), fpuBatch.longs())];
        uc.regReadBatch(userBatch, part);
        System.arraycopy(part, 0, state, 0, userBatch.longs());
        uc.regReadBatch(fpuBatch, part);
        System.arraycopy(part, 0, state, UserState.FPU, fpuBatch.longs());
        return state;
    }

    @Override
    public void loadUserState(long[] state) {
        if (state.length != UserState.LENGTH) {
            throw new IllegalArgumentException("loadUserState: expected " + UserState.LENGTH + " values");
        }
        uc.regWriteBatch(userBatch, state);
        uc.regWriteBatch(fpuBatch, java.util.Arrays.copyOfRange(state, UserState.FPU, UserState.LENGTH));
    }

    @Override
    public void setPageTableRoot(long root) {
        uc.regWrite(UcConst.UC_X86_REG_CR3, root);
        this.cr3 = root;
        if (trace != null) {
            trace.setRoot(root);
        }
    }

    @Override
    public DebugControl attachDebugger() {
        if (debug == null) {
            debug = new DebugControl(uc);
            dropTranslations();
        }
        return debug;
    }

    @Override
    public void setWatchpoints(long[] lo, long[] hi, int[] type) {
        if (debug == null) {
            throw new IllegalStateException("setWatchpoints: no debugger attached");
        }
        if (debug.setWatchpoints(lo, hi, type) && userMode) {
            uc.flushTlb(); // memory hooks act when TLB entries are filled
        }
    }

    @Override
    public void detachDebugger() {
        if (debug != null) {
            debug.setWatchpoints(new long[0], new long[0], new int[0]);
            uc.hookDel(debug.hook);
            debug.close();
            debug = null;
            dropTranslations();
        }
    }

    /**
     * A new hook is compiled into code translated after it, and checked when TLB entries are
     * filled, so code translated before must go. A removed hook too: when it was the engine's
     * only code hook (a counting CPU has none of its own), libunicorn compiled direct calls to it
     * into translated code, and uc_hook_del invalidates those blocks only where their addresses
     * map under the current CR3, so other processes' blocks would still call it with freed
     * state. Only for an engine that ran; with the 32 MiB code buffer a flush is cheap.
     */
    private void dropTranslations() {
        if (userMode) {
            flushTranslationCache();
            uc.flushTlb();
        }
    }

    @Override
    public void setTrace(TraceRecords.Options options) {
        if (trace != null) {
            trace.stop();
            trace = null;
            if (options == null) {
                dropTranslations();
            }
        }
        if (options != null) {
            trace = new NativeTrace(uc, id, machine.memory(), cr3, options);
            dropTranslations();
        }
    }

    @Override
    public long pageTableRoot() {
        return cr3;
    }

    @Override
    public void flushTlb() {
        uc.flushTlb();
    }

    /** Guest breakpoints are checked by the native run loop's block hook (counting CPUs only). */
    @Override
    public void setBreakpoints(long[] addresses) {
        if (loop == null) {
            Vcpu.super.setBreakpoints(addresses);
            return;
        }
        loop.setBreakpoints(addresses);
    }

    @Override
    public long readMsr(int msr) {
        return uc.readMsr(msr);
    }

    @Override
    public long breakpointHit() {
        return loop == null ? 0 : loop.hit();
    }

    @Override
    public void flushTranslationCache() {
        if (loop != null) {
            loop.flushTranslationBlocks();
        } else {
            uc.flushTranslationBlocks();
        }
    }

    @Override
    public void close() {
        uc.close();
        if (loop != null) {
            loop.close();
        }
    }
}
