package dev.pagelab.cli;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A live progress bar (schedules, failures, rate, ETA) on stderr, only when stderr is a terminal;
 * nothing at all otherwise.
 */
final class Progress implements AutoCloseable {
    private final ProgressBar bar; // null when not on a terminal
    private long failures; // guarded by the calling thread

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    static Progress start(String task, long total, boolean wanted) {
        boolean terminal = System.console() != null && System.console().isTerminal();
        if (!wanted || !terminal) {
            return new Progress(null);
        }
        return new Progress(new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII).setUnit(" schedules", 1).showSpeed().setConsumer(
                        new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err)).build());
    }

    void step(boolean failed) {
        if (bar == null) {
            return;
        }
        if (failed) {
            failures++;
            bar.setExtraMessage(failures + " failed");
        }
        bar.step();
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
