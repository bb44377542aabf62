package dev.pagelab.kernel.sched;

/**
 * One choice of a schedule that differs from round-robin: at decision {@code index} of task
 * {@code task}, either run task {@code value} ({@link Kind#PICK}) or run {@code value} guest
 * instructions ({@link Kind#BUDGET}). Keyed by the deciding task's own decision counter, so that
 * removing an unrelated deviation (shrinking) disturbs the others as little as possible.
 *
 * @param preemption for a PICK, whether the deciding task could have gone on (a preemption);
 *                   recorded for reports, not needed to replay
 * @param where      the scheduling point, for reports ("PTE_WRITE in page_mkclean_one"); may be ""
 */
public record Deviation(int task, long index, Kind kind, long value, boolean preemption, String where) {
    public enum Kind { PICK, BUDGET }

    /** The key that replay looks the deviation up by. */
    public long key() {
        return key(task, index);
    }

    static long key(int task, long index) {
        return ((long) task << 40) | index;
    }

    public Deviation withWhere(String newWhere) {
        return new Deviation(task, index, kind, value, preemption, newWhere);
    }
}
