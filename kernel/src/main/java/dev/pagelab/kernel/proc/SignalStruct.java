package dev.pagelab.kernel.proc;

/**
 * Linux: struct signal_struct's resource limits and struct sighand_struct's actions, shared by
 * the threads of a process. Fields are guarded by the baton.
 */
public final class SignalStruct {
    public static final int NSIG = 64;
    public static final long RLIM_INFINITY = -1L;
    public static final int RLIMIT_STACK = 3, RLIMIT_NOFILE = 7, RLIM_NLIMITS = 16;
    /** sa_handler values. */
    public static final long SIG_DFL = 0, SIG_IGN = 1;

    /** Linux: struct k_sigaction (x86-64 layout: handler, flags, restorer, mask). */
    public record SigAction(long handler, long flags, long restorer, long mask) {
        public static final SigAction DEFAULT = new SigAction(SIG_DFL, 0, 0, 0);
    }

    private final long[][] rlimits = new long[RLIM_NLIMITS][]; // guarded by the baton: {cur, max}
    private final SigAction[] actions = new SigAction[NSIG + 1]; // guarded by the baton; index = signal
    private long sharedPending; // signals sent to the process (kill); guarded by the baton

    public SignalStruct() {
        for (int r = 0; r < RLIM_NLIMITS; r++) {
            rlimits[r] = new long[] {RLIM_INFINITY, RLIM_INFINITY};
        }
        rlimits[RLIMIT_STACK] = new long[] {8L << 20, RLIM_INFINITY};
        rlimits[RLIMIT_NOFILE] = new long[] {dev.pagelab.kernel.fs.FileTable.MAX_FDS,
            dev.pagelab.kernel.fs.FileTable.MAX_FDS};
        java.util.Arrays.fill(actions, SigAction.DEFAULT);
    }

    /** {cur, max} of {@code resource} (a copy). */
    public long[] rlimit(int resource) {
        return rlimits[resource].clone();
    }

    /**
     * Linux: kernel/sys.c do_prlimit(): raising the hard limit is refused (pagelab runs without
     * CAP_SYS_RESOURCE semantics); returns false if {@code cur > max} or the hard limit would rise.
     */
    public boolean setRlimit(int resource, long cur, long max) {
        long oldMax = rlimits[resource][1];
        if (Long.compareUnsigned(cur, max) > 0 || Long.compareUnsigned(max, oldMax) > 0) {
            return false;
        }
        rlimits[resource] = new long[] {cur, max};
        return true;
    }

    public SigAction action(int signal) {
        return actions[signal];
    }

    public void setAction(int signal, SigAction a) {
        actions[signal] = a;
    }

    public long sharedPending() {
        return sharedPending;
    }

    public void addSharedPending(int signal) {
        sharedPending |= Signals.bit(signal);
    }

    public void clearSharedPending(int signal) {
        sharedPending &= ~Signals.bit(signal);
    }

    /** Linux: kernel/signal.c flush_signal_handlers() at exec: handled signals go back to SIG_DFL. */
    public void flushHandlers() {
        for (int s = 1; s <= NSIG; s++) {
            if (actions[s].handler() != SIG_IGN) {
                actions[s] = SigAction.DEFAULT;
            }
        }
    }

    /** fork: copy_signal + copy_sighand. */
    public SignalStruct copy() {
        SignalStruct c = new SignalStruct();
        for (int r = 0; r < RLIM_NLIMITS; r++) {
            c.rlimits[r] = rlimits[r].clone();
        }
        System.arraycopy(actions, 0, c.actions, 0, actions.length);
        return c;
    }
}
