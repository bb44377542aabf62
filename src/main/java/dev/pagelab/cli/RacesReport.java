package dev.pagelab.cli;

import dev.pagelab.kernel.KernelConfig;
import dev.pagelab.races.Race;
import dev.pagelab.races.RaceMatrix;
import java.io.PrintWriter;
import java.util.List;

/** The text of {@code pagelab races}: the matrix, what history says, each loss in one line. */
final class RacesReport {
    private RacesReport() {}

    static void print(PrintWriter w, List<Race> races, List<KernelConfig> kernels, List<RaceMatrix.Cell> cells,
                      double seconds, String strategy, int depth, long budget) {
        w.printf("pagelab races: %d scenario(s) x %d kernel(s), %s depth %d, at most %d schedules per cell%n%n",
                races.size(), kernels.size(), strategy, depth, budget);
        w.printf("%-24s", "found (schedules)");
        kernels.forEach(k -> w.printf("%-18s", k.name()));
        w.println();
        for (Race r : races) {
            w.printf("%-24s", r.id() + " " + r.program());
            for (KernelConfig k : kernels) {
                RaceMatrix.Cell c = cell(cells, r, k);
                String text = c.lost() ? "LOST " + RaceMatrix.names(c.windows(), c.together()) + " (" + c.schedules() + ")" : "clean";
                w.printf("%-18s", (c.asHistory() ? "" : "!") + text);
            }
            w.println();
        }
        w.println();
        w.printf("%-24s", "history says");
        kernels.forEach(k -> w.printf("%-18s", k.name()));
        w.println();
        for (Race r : races) {
            w.printf("%-24s", r.id() + " fixed in " + r.fixedIn());
            for (KernelConfig k : kernels) {
                boolean own = Race.windowOpen(r.kernelFor(k), r.number());
                w.printf("%-18s", own ? "lost" : cell(cells, r, k).expected().startsWith("clean,") ? "clean or other"
                        : "clean");
            }
            w.println();
        }
        w.println();
        for (Race r : races) {
            w.printf("%s  %s: %s. Buggy since %s; fixed in %s (seed %s).%n", r.id(), r.program(), r.summary(),
                    r.buggyIn(), r.fixedIn(), r.seed());
        }
        w.println();
        for (RaceMatrix.Cell c : cells) {
            if (c.lost()) {
                w.printf("%s on %s (%s): %s after %d schedule(s), %.1f s; shrunk to %d preemption(s); fixes that %s "
                                + "make the same schedule pass: %s%s%n    %s%n    replay: pagelab replay %s --explain%n",
                        c.race().id(), c.kernel().name(), c.kernel().fs(), c.failure().signature(), c.schedules(),
                        c.seconds(), c.preemptions(), c.together() ? "together (no single one)" : "alone",
                        c.windows().isEmpty() ? "none" : RaceMatrix.names(c.windows(), c.together()),
                        c.fixedPasses() == null || c.fixedPasses() ? "" : " (the same schedule STILL FAILS with "
                                + c.race().id() + "'s fix)",
                        c.failure().detail(), c.schedule());
            }
            if (!c.asHistory()) {
                w.printf("NOT AS HISTORY SAYS: %s on %s: %s (expected %s)%n", c.race().id(), c.kernel().name(), c.why(),
                        c.expected());
            }
        }
        long ok = cells.stream().filter(RaceMatrix.Cell::asHistory).count();
        w.printf("%n%.0f s. %d/%d cells as history says%n", seconds, ok, cells.size());
    }

    private static RaceMatrix.Cell cell(List<RaceMatrix.Cell> cells, Race r, KernelConfig k) {
        for (RaceMatrix.Cell c : cells) {
            if (c.race() == r && c.kernel().name().equals(r.kernelFor(k).name())) {
                return c;
            }
        }
        throw new IllegalStateException("races: no cell " + r.id() + " " + k.name());
    }
}
