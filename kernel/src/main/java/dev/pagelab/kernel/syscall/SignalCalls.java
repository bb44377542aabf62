package dev.pagelab.kernel.syscall;

import dev.pagelab.emulator.Register;
import dev.pagelab.emulator.UserState;
import dev.pagelab.emulator.Vcpu;
import dev.pagelab.kernel.Errno;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.mm.MmStruct;
import dev.pagelab.kernel.mm.UserAccess;
import dev.pagelab.kernel.proc.ExitStatus;
import dev.pagelab.kernel.proc.Process;
import dev.pagelab.kernel.proc.SignalStruct;
import dev.pagelab.kernel.proc.SignalStruct.SigAction;
import dev.pagelab.kernel.proc.Signals;
import dev.pagelab.kernel.proc.UserThread;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Signals (Linux: kernel/signal.c, arch/x86/kernel/signal.c): rt_sigaction, rt_sigprocmask,
 * kill, tgkill, tkill, sigaltstack, rt_sigreturn, and delivery on the way back to user mode with
 * a real x86-64 {@code struct rt_sigframe} (return address = sa_restorer, ucontext with the
 * sigcontext and the old mask, siginfo, and an FXSAVE image of the x87/SSE state).
 *
 * <p>Unlike Linux: handlers always run on the current stack (sigaltstack is accepted and
 * ignored); a blocking call is not interrupted by a handled signal (it is delivered when the
 * call returns); stop signals are ignored (no job control); one signal is delivered per return
 * to user mode.
 */
final class SignalCalls {
    static final int SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
    static final long SA_SIGINFO = 4, SA_RESTORER = 0x0400_0000, SA_ONSTACK = 0x0800_0000, SA_RESTART = 0x1000_0000,
            SA_NODEFER = 0x4000_0000, SA_RESETHAND = 0x8000_0000L;
    static final int SI_USER = 0, SI_TKILL = -6, SS_DISABLE = 2;
    /** Frame layout: pretcode, struct ucontext (304 bytes), struct siginfo (128 bytes). */
    static final int UC = 8, MCONTEXT = UC + 40, SIGMASK = UC + 296, INFO = UC + 304, FRAME_SIZE = INFO + 128;
    /** The sigcontext's general registers, in its order (fpstate pointer at byte 184). */
    static final Register[] SIGCONTEXT = {Register.R8, Register.R9, Register.R10, Register.R11, Register.R12,
        Register.R13, Register.R14, Register.R15, Register.RDI, Register.RSI, Register.RBP, Register.RBX,
        Register.RDX, Register.RAX, Register.RCX, Register.RSP, Register.RIP, Register.RFLAGS};
    private static final int FPSTATE = 184;
    private static final long RFLAGS_USER_CHANGEABLE = 0x0000_0000_0025_0dd5L; // FIX_EFLAGS: CF PF AF ZF SF TF DF OF NT AC RF... as Linux
    private static final long RED_ZONE = 128;

    private final Kernel kernel; // immutable reference
    private final UserAccess ua; // immutable reference

    SignalCalls(Kernel kernel) {
        this.kernel = kernel;
        this.ua = kernel.uaccess();
    }

    private static MmStruct mm(UserThread t) {
        return t.process().mm();
    }

    private static void checkSignal(long sig) {
        if (sig < 1 || sig > SignalStruct.NSIG) {
            throw new Errno(Errno.EINVAL);
        }
    }

    /** rt_sigaction: struct sigaction {handler, flags, restorer, mask} (32 bytes). */
    long rtSigaction(UserThread t, long sig, long act, long oact, long sigsetsize) {
        if (sigsetsize != 8) {
            throw new Errno(Errno.EINVAL);
        }
        checkSignal(sig);
        SignalStruct ss = t.process().signal();
        SigAction old = ss.action((int) sig);
        if (act != 0) {
            if (sig == Signals.SIGKILL || sig == Signals.SIGSTOP) {
                throw new Errno(Errno.EINVAL);
            }
            SigAction a = new SigAction(ua.getUserLong(mm(t), act), ua.getUserLong(mm(t), act + 8),
                    ua.getUserLong(mm(t), act + 16), ua.getUserLong(mm(t), act + 24) & ~Signals.UNBLOCKABLE);
            ss.setAction((int) sig, a);
            if (ignored(a, (int) sig)) {
                discardPending(t.process(), (int) sig); // Linux: sig_handler_ignored -> flush from every queue
            }
        }
        if (oact != 0) {
            byte[] b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN).putLong(old.handler())
                    .putLong(old.flags()).putLong(old.restorer()).putLong(old.mask()).array();
            ua.copyToUser(mm(t), oact, b);
        }
        return 0;
    }

    private static boolean ignored(SigAction a, int sig) {
        return a.handler() == SignalStruct.SIG_IGN
                || a.handler() == SignalStruct.SIG_DFL && Signals.defaultAction(sig) == Signals.DefaultAction.IGNORE;
    }

    private static void discardPending(Process p, int sig) {
        p.signal().clearSharedPending(sig);
        for (UserThread th : p.threads()) {
            th.clearPending(sig);
        }
    }

    long rtSigprocmask(UserThread t, long how, long set, long oset, long sigsetsize) {
        if (sigsetsize != 8) {
            throw new Errno(Errno.EINVAL);
        }
        long old = t.blocked();
        if (set != 0) {
            long s = ua.getUserLong(mm(t), set);
            switch ((int) how) {
                case SIG_BLOCK -> t.setBlocked(old | s);
                case SIG_UNBLOCK -> t.setBlocked(old & ~s);
                case SIG_SETMASK -> t.setBlocked(s);
                default -> throw new Errno(Errno.EINVAL);
            }
        }
        if (oset != 0) {
            ua.putUserLong(mm(t), oset, old);
        }
        return 0;
    }

    /** sigaltstack: reports no alternate stack; a new one is accepted and not used. */
    long sigaltstack(UserThread t, long ss, long oss) {
        if (oss != 0) {
            byte[] b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(0).putInt(SS_DISABLE).array();
            ua.copyToUser(mm(t), oss, b);
        }
        return 0;
    }

    /** kill: pid > 0 one process; 0, -1 and -pgrp every process pagelab would find there (all of them). */
    long kill(UserThread t, long pid, long sig) {
        if (sig != 0) {
            checkSignal(sig);
        }
        if (pid > 0) {
            Process p = kernel.processes().find(pid);
            if (p == null || p.threads().isEmpty()) {
                throw new Errno(Errno.ESRCH);
            }
            sendToProcess(p, (int) sig);
            return 0;
        }
        int sent = 0;
        for (Process p : kernel.processes().all()) {
            if (!p.threads().isEmpty() && (pid != -1 || p != t.process())) {
                sendToProcess(p, (int) sig);
                sent++;
            }
        }
        if (sent == 0) {
            throw new Errno(Errno.ESRCH);
        }
        return 0;
    }

    long tgkill(UserThread t, long tgid, long tid, long sig) {
        if (tgid <= 0 || tid <= 0) {
            throw new Errno(Errno.EINVAL);
        }
        return tkillIn(kernel.processes().find(tgid), tid, sig);
    }

    long tkill(UserThread t, long tid, long sig) {
        if (tid <= 0) {
            throw new Errno(Errno.EINVAL);
        }
        for (Process p : kernel.processes().all()) {
            for (UserThread th : p.threads()) {
                if (th.tid() == tid) {
                    return tkillIn(p, tid, sig);
                }
            }
        }
        throw new Errno(Errno.ESRCH);
    }

    private long tkillIn(Process p, long tid, long sig) {
        if (sig != 0) {
            checkSignal(sig);
        }
        if (p != null) {
            for (UserThread th : p.threads()) {
                if (th.tid() == tid) {
                    if (sig != 0) {
                        sendToThread(th, (int) sig);
                    }
                    return 0;
                }
            }
        }
        throw new Errno(Errno.ESRCH);
    }

    /**
     * Linux: __send_signal + complete_signal: a signal whose action is to ignore is dropped; a
     * fatal one (default action, or SIGKILL) ends the process at once, as complete_signal's
     * group-exit shortcut does; any other becomes pending for the process.
     */
    void sendToProcess(Process p, int sig) {
        if (sig == 0 || p.exiting()) {
            return;
        }
        SigAction a = p.signal().action(sig);
        if (sig != Signals.SIGKILL && ignored(a, sig)) {
            return;
        }
        if (fatal(p, sig)) {
            killProcess(p, sig);
            return;
        }
        p.signal().addSharedPending(sig);
        p.signalArrived().wakeAll();
    }

    void sendToThread(UserThread th, int sig) {
        Process p = th.process();
        if (p.exiting()) {
            return;
        }
        SigAction a = p.signal().action(sig);
        if (sig != Signals.SIGKILL && ignored(a, sig)) {
            return;
        }
        if (fatal(p, sig) && (th.blocked() & Signals.bit(sig)) == 0) {
            killProcess(p, sig);
            return;
        }
        th.addPending(sig);
        p.signalArrived().wakeAll();
    }

    private static boolean fatal(Process p, int sig) {
        if (sig == Signals.SIGKILL) {
            return true;
        }
        SigAction a = p.signal().action(sig);
        Signals.DefaultAction d = Signals.defaultAction(sig);
        return a.handler() == SignalStruct.SIG_DFL && (d == Signals.DefaultAction.TERMINATE || d == Signals.DefaultAction.CORE)
                && !blockedByAll(p, sig);
    }

    private static boolean blockedByAll(Process p, int sig) {
        for (UserThread th : p.threads()) {
            if ((th.blocked() & Signals.bit(sig)) == 0) {
                return false;
            }
        }
        return !p.threads().isEmpty();
    }

    private static void killProcess(Process p, int sig) {
        p.beginExit(ExitStatus.killed(sig, "killed: " + Signals.name(sig)));
    }

    /**
     * rt_sigsuspend: waits with {@code mask} as the signal mask until a signal arrives that a
     * handler takes (or that ends the process); returns -EINTR, and the old mask comes back when
     * the handler returns (Linux: TIF_RESTORE_SIGMASK, the frame saves the old mask).
     */
    long rtSigsuspend(UserThread t, long mask, long sigsetsize) {
        if (sigsetsize != 8) {
            throw new Errno(Errno.EINVAL);
        }
        return suspend(t, ua.getUserLong(mm(t), mask));
    }

    /** pause: sigsuspend with the current mask. */
    long pause(UserThread t) {
        return suspend(t, t.blocked());
    }

    private long suspend(UserThread t, long mask) {
        Process p = t.process();
        t.setSavedSigmask(t.blocked());
        t.setBlocked(mask);
        while (!deliverable(t) && !p.exiting()) {
            p.sleepInterruptible(p.signalArrived());
        }
        throw new Errno(Errno.EINTR);
    }

    /** True if a pending signal is unblocked and would run a handler or end the process. */
    private static boolean deliverable(UserThread t) {
        Process p = t.process();
        long ready = (t.pending() | p.signal().sharedPending()) & ~t.blocked();
        for (int sig = 1; ready != 0; sig++, ready >>>= 1) {
            if ((ready & 1) != 0 && !ignored(p.signal().action(sig), sig)
                    && !(p.signal().action(sig).handler() == SignalStruct.SIG_DFL
                    && Signals.defaultAction(sig) != Signals.DefaultAction.TERMINATE
                    && Signals.defaultAction(sig) != Signals.DefaultAction.CORE)) {
                return true;
            }
        }
        return false;
    }

    // ---- delivery -------------------------------------------------------------------------------

    /**
     * Linux: arch/x86/kernel/signal.c do_signal/get_signal, on the way back to user mode: takes
     * the lowest pending unblocked signal and either applies its default action or sets up a
     * handler frame. Returns true if the process is now exiting.
     */
    boolean doSignal(UserThread t) {
        Process p = t.process();
        long ready = (t.pending() | p.signal().sharedPending()) & ~t.blocked();
        boolean handled = false;
        while (ready != 0 && !p.exiting() && !handled) {
            int sig = Long.numberOfTrailingZeros(ready) + 1;
            ready &= ~Signals.bit(sig);
            int code = SI_USER;
            if ((t.pending() & Signals.bit(sig)) != 0) {
                t.clearPending(sig);
                code = SI_TKILL; // unlike Linux, a thread's queue holds only tkill/tgkill signals
            } else {
                p.signal().clearSharedPending(sig);
            }
            SigAction a = p.signal().action(sig);
            if (ignored(a, sig) || a.handler() == SignalStruct.SIG_DFL
                    && Signals.defaultAction(sig) != Signals.DefaultAction.TERMINATE
                    && Signals.defaultAction(sig) != Signals.DefaultAction.CORE) {
                continue;
            }
            if (a.handler() == SignalStruct.SIG_DFL) {
                killProcess(p, sig);
                break;
            }
            handleSignal(t, sig, code, a);
            handled = true;
        }
        if (t.savedSigmask() != -1 && !handled) {
            t.setBlocked(t.savedSigmask()); // sigsuspend returned without a handler: restore now
            t.setSavedSigmask(-1);
        }
        return p.exiting();
    }

    /** Linux: handle_signal + setup_rt_frame; a frame that cannot be written is a SIGSEGV. */
    private void handleSignal(UserThread t, int sig, int code, SigAction a) {
        Vcpu cpu = kernel.ensureOnCpu(t);
        long[] s = cpu.saveUserState();
        try {
            if ((a.flags() & SA_RESTORER) == 0) {
                throw new UserAccess.Efault(0); // x86-64 requires a restorer
            }
            long frame = setupRtFrame(t, sig, code, a, s);
            s[UserState.index(Register.RDI)] = sig;
            s[UserState.index(Register.RSI)] = frame + INFO;
            s[UserState.index(Register.RDX)] = frame + UC;
            s[UserState.index(Register.RAX)] = 0;
            s[UserState.index(Register.RSP)] = frame;
            s[UserState.index(Register.RIP)] = a.handler();
            s[UserState.index(Register.RFLAGS)] &= ~(0x400L | 0x100L); // DF and TF clear in the handler
            resetFpu(s);
            cpu.loadUserState(s);
        } catch (UserAccess.Efault e) {
            killProcess(t.process(), Signals.SIGSEGV);
            return;
        }
        long mask = t.blocked() | a.mask() | ((a.flags() & SA_NODEFER) == 0 ? Signals.bit(sig) : 0);
        t.setBlocked(mask);
        t.setSavedSigmask(-1); // now in the frame
        if ((a.flags() & SA_RESETHAND) != 0) {
            t.process().signal().setAction(sig, SigAction.DEFAULT);
        }
    }

    /** Linux: fpu__clear_user_states: the handler starts with a fresh x87/SSE state. */
    private static void resetFpu(long[] s) {
        long[] fresh = UserState.initial(0, 0);
        System.arraycopy(fresh, UserState.FPU, s, UserState.FPU, UserState.LENGTH - UserState.FPU);
    }

    /** Writes the FXSAVE image and the rt_sigframe below the red zone; returns the frame's address. */
    private long setupRtFrame(UserThread t, int sig, int code, SigAction a, long[] s) {
        long sp = s[UserState.index(Register.RSP)] - RED_ZONE;
        long fpstate = (sp - Fxsave.SIZE) & ~63L;
        long frame = ((fpstate - FRAME_SIZE) & ~15L) - 8;
        ua.copyToUser(mm(t), fpstate, Fxsave.fromState(s));
        ByteBuffer b = ByteBuffer.allocate(FRAME_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, a.restorer());
        b.putInt(UC + 24, SS_DISABLE); // uc_stack.ss_flags
        for (int i = 0; i < SIGCONTEXT.length; i++) {
            b.putLong(MCONTEXT + 8 * i, s[UserState.index(SIGCONTEXT[i])]);
        }
        b.putShort(MCONTEXT + 144, (short) 0x33).putShort(MCONTEXT + 150, (short) 0x2b); // cs, ss
        long old = t.savedSigmask() != -1 ? t.savedSigmask() : t.blocked(); // sigsuspend's mask comes back
        b.putLong(MCONTEXT + 168, old); // oldmask
        b.putLong(MCONTEXT + FPSTATE, fpstate);
        b.putLong(SIGMASK, old);
        b.putInt(INFO, sig).putInt(INFO + 8, code).putInt(INFO + 16, t.process().pid());
        ua.copyToUser(mm(t), frame, b.array());
        return frame;
    }

    /**
     * rt_sigreturn: restores the registers, the mask and the x87/SSE state from the frame the
     * handler returned through (its {@code ret} popped the return address: the frame is at
     * RSP - 8). A frame that cannot be read is a SIGSEGV. RAX comes from the frame.
     */
    long rtSigreturn(UserThread t) {
        Vcpu cpu = kernel.ensureOnCpu(t);
        long[] s = cpu.saveUserState();
        long frame = s[UserState.index(Register.RSP)] - 8;
        try {
            byte[] raw = ua.copyFromUser(mm(t), frame, FRAME_SIZE);
            ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            long oldRflags = s[UserState.index(Register.RFLAGS)];
            for (int i = 0; i < SIGCONTEXT.length; i++) {
                s[UserState.index(SIGCONTEXT[i])] = b.getLong(MCONTEXT + 8 * i);
            }
            int fl = UserState.index(Register.RFLAGS);
            s[fl] = (oldRflags & ~RFLAGS_USER_CHANGEABLE) | (s[fl] & RFLAGS_USER_CHANGEABLE);
            long fpstate = b.getLong(MCONTEXT + FPSTATE);
            if (fpstate != 0) {
                Fxsave.intoState(ua.copyFromUser(mm(t), fpstate, Fxsave.SIZE), s);
            } else {
                resetFpu(s);
            }
            t.setBlocked(b.getLong(SIGMASK));
        } catch (UserAccess.Efault e) {
            killProcess(t.process(), Signals.SIGSEGV);
            return Syscalls.NO_RETURN;
        }
        cpu.loadUserState(s);
        return Syscalls.NO_RETURN;
    }
}
