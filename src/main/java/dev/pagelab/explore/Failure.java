package dev.pagelab.explore;

/**
 * Why a schedule failed, or {@link #NONE}. {@code signature} is what shrinking must keep: the kind
 * and which oracle, signal or status ("oracle:durability", "check:end state", "signal:SIGSEGV",
 * "exit:1", "deadlock", "kernel-bug").
 *
 * @param signature the kind of failure, "" for none
 * @param detail    the first report line (a violation, a check, the kill report, the exception)
 */
public record Failure(String signature, String detail) {
    public static final Failure NONE = new Failure("", "");

    public boolean failed() {
        return !signature.isEmpty();
    }

    @Override
    public String toString() {
        return failed() ? signature + ": " + detail : "no failure";
    }
}
