package dev.pagelab.kernel.mm;

/**
 * How a writeback pass behaves (Linux: struct writeback_control).
 *
 * @param syncAll WB_SYNC_ALL (data-integrity writeback: fsync, msync MS_SYNC) rather than
 *                WB_SYNC_NONE (background writeback by the flusher)
 * @param who     who writes ("fsync", "flusher", ...) for traces
 */
public record WritebackControl(boolean syncAll, String who) {
    public static WritebackControl integrity(String who) {
        return new WritebackControl(true, who);
    }

    public static WritebackControl background(String who) {
        return new WritebackControl(false, who);
    }
}
