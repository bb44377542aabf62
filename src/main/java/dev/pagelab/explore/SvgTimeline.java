package dev.pagelab.explore;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A {@link Timeline} as one self-contained SVG picture ({@code replay --svg}), for a README: a
 * lane per task with its guest runs, system calls and faults as labelled rectangles, every
 * preemption marked in red across the picture, the victim page's counters (flags, tags, dirty
 * buffers, pte bits per mapping) as step lines under the lanes, and the lost bytes at the foot.
 * No Linux counterpart. Time is the timeline's logical time; stretches of more than
 * {@link #CONTEXT} events away from any preemption and from the end of the run are cut to a
 * narrow grey band (the counters keep their values across it), so a long run keeps its
 * interesting part readable. A thin dark bar under a lane shows while that task has the CPU. No fonts, scripts or links outside the file.
 */
public final class SvgTimeline {
    /** Events kept either side of a preemption, and before the end. */
    static final int CONTEXT = 24;
    static final int WIDTH = 1000;
    static final int LABEL_W = 170;
    static final int LANE_H = 20;
    static final int COUNTER_H = 14;
    static final int CUT_W = 10;
    static final int TOP = 46;

    private record Slice(int tid, int depth, long start, long end, String name) {}

    private record Mark(int tid, long ts, String text, boolean loss) {}

    /** Task {@code tid} holds a kernel lock from {@code start} to {@code end}. */
    private record Hold(int tid, long start, long end, String text) {}

    /** Task {@code tid} has the CPU from {@code start} to {@code end}. */
    private record Run(int tid, long start, long end) {}

    /** A stretch of logical time drawn at {@code x} with {@code width}; {@code cut}: a grey band. */
    private record Piece(long start, long end, double x, double width, boolean cut) {}

    private final Timeline timeline; // immutable reference
    private final String title; // immutable
    private final String loss; // immutable; null if nothing was lost
    private final List<Slice> slices = new ArrayList<>(); // filled by the constructor only
    private final List<Mark> marks = new ArrayList<>(); // filled by the constructor only
    private final List<Run> runs = new ArrayList<>(); // filled by the constructor only
    private final List<Hold> holds = new ArrayList<>(); // filled by the constructor only
    private final Map<String, List<long[]>> counters = new LinkedHashMap<>(); // name -> (ts, value); constructor only
    private final List<Piece> pieces = new ArrayList<>(); // filled by the constructor only
    private long maxTs; // set by the constructor only

    public SvgTimeline(Timeline timeline, String title, String loss) {
        this.timeline = timeline;
        this.title = title;
        this.loss = loss;
        read(timeline.finish());
        layout();
    }

    private void read(List<Map<String, Object>> events) {
        Map<Integer, Deque<Object[]>> open = new HashMap<>();
        long[] cpu = {-1, -1}; // who has the CPU since when
        for (Map<String, Object> e : events) {
            long ts = ((Number) e.get("ts")).longValue();
            maxTs = Math.max(maxTs, ts);
            int pid = ((Number) e.get("pid")).intValue();
            String ph = (String) e.get("ph");
            if (pid == Timeline.PAGE_PID) {
                if (ph.equals("C")) {
                    long v = ((Number) ((Map<?, ?>) e.get("args")).get("value")).longValue();
                    counters.computeIfAbsent((String) e.get("name"), n -> new ArrayList<>()).add(new long[] {ts, v});
                }
                continue;
            }
            if (pid == Timeline.CPUS_PID) {
                continue; // the task lanes already show who runs: the picture keeps one lane per task
            }
            if (pid == Timeline.LOCKS_PID) {
                Map<?, ?> args = (Map<?, ?>) e.get("args");
                holds.add(new Hold(((Number) args.get("task")).intValue(), ts, ts + ((Number) e.get("dur")).longValue(),
                        e.get("name") + " taken in " + args.get("function")));
                continue;
            }
            int tid = ((Number) e.get("tid")).intValue();
            Deque<Object[]> stack = open.computeIfAbsent(tid, t -> new ArrayDeque<>());
            switch (ph) {
                case "B" -> stack.push(new Object[] {ts, e.get("name")});
                case "E" -> {
                    if (stack.isEmpty()) {
                        throw new IllegalStateException("SvgTimeline: an end without a begin on task " + tid);
                    }
                    Object[] b = stack.pop();
                    slices.add(new Slice(tid, stack.size(), (Long) b[0], ts, (String) b[1]));
                }
                case "i" -> {
                    String name = (String) e.get("name");
                    if (name.equals("gets the CPU")) {
                        if (cpu[0] >= 0) {
                            runs.add(new Run((int) cpu[0], cpu[1], ts));
                        }
                        cpu[0] = tid;
                        cpu[1] = ts;
                    }
                    if (name.startsWith("preempted")) {
                        Object at = ((Map<?, ?>) e.get("args")).get("at");
                        marks.add(new Mark(tid, ts, name + " at " + at, false));
                    } else if (name.equals(Timeline.LOSS)) {
                        marks.add(new Mark(tid, ts, name + ": " + ((Map<?, ?>) e.get("args")).get("lost"), true));
                    }
                }
                default -> { }
            }
        }
        if (cpu[0] >= 0) {
            runs.add(new Run((int) cpu[0], cpu[1], maxTs));
        }
    }

    /** Which logical times are drawn in full and which are cut. */
    private void layout() {
        TreeSet<Long> interesting = new TreeSet<>();
        marks.forEach(m -> interesting.add(m.ts()));
        interesting.add(maxTs);
        List<long[]> kept = new ArrayList<>();
        for (long t : interesting) {
            long a = Math.max(0, t - CONTEXT);
            long b = Math.min(maxTs, t + CONTEXT);
            if (!kept.isEmpty() && a <= kept.get(kept.size() - 1)[1] + CONTEXT) {
                kept.get(kept.size() - 1)[1] = Math.max(kept.get(kept.size() - 1)[1], b);
            } else {
                kept.add(new long[] {a, b});
            }
        }
        int cuts = 0;
        long keptUnits = 0;
        long prev = 0;
        for (long[] k : kept) {
            cuts += k[0] > prev ? 1 : 0;
            keptUnits += k[1] - k[0] + 1;
            prev = k[1] + 1;
        }
        double unit = (WIDTH - LABEL_W - 10 - cuts * (double) CUT_W) / Math.max(1, keptUnits);
        double x = LABEL_W;
        prev = 0;
        for (long[] k : kept) {
            if (k[0] > prev) {
                pieces.add(new Piece(prev, k[0] - 1, x, CUT_W, true));
                x += CUT_W;
            }
            double w = (k[1] - k[0] + 1) * unit;
            pieces.add(new Piece(k[0], k[1], x, w, false));
            x += w;
            prev = k[1] + 1;
        }
    }

    /** The piece that draws logical time {@code ts}. */
    private Piece pieceOf(long ts) {
        for (Piece p : pieces) {
            if (ts <= p.end()) {
                return p;
            }
        }
        return pieces.get(pieces.size() - 1);
    }

    /** Whether {@code start..end} lies inside one cut stretch (its grey band stands for it). */
    private boolean hidden(long start, long end) {
        Piece p = pieceOf(start);
        return p.cut() && end <= p.end();
    }

    /** The x of logical time {@code ts}. */
    private double x(long ts) {
        for (Piece p : pieces) {
            if (ts <= p.end()) {
                return p.x() + p.width() * Math.max(0, ts - p.start()) / (p.end() - p.start() + 1);
            }
        }
        Piece last = pieces.get(pieces.size() - 1);
        return last.x() + last.width();
    }

    public String render() {
        List<Integer> lanes = new ArrayList<>(timeline.lanes().keySet());
        Map<Integer, Integer> laneOf = new HashMap<>();
        for (int i = 0; i < lanes.size(); i++) {
            laneOf.put(lanes.get(i), i);
        }
        int countersTop = TOP + lanes.size() * LANE_H + (timeline.pageName() == null ? 10 : 22);
        int height = countersTop + counters.size() * COUNTER_H + (loss == null ? 30 : 48);
        StringBuilder s = new StringBuilder();
        s.append(String.format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"monospace\" font-size=\"10\">%n", WIDTH, height, WIDTH, height));
        s.append(String.format("<title>%s</title>%n", esc(title)));
        s.append(String.format("<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>%n", WIDTH, height));
        s.append(String.format("<text x=\"6\" y=\"16\" font-size=\"12\" font-weight=\"bold\">%s</text>%n", esc(title)));
        s.append(String.format("<text x=\"6\" y=\"32\" fill=\"#555555\">logical time (a step per kernel event); "
                + "grey: cut; red: preemption; black: the oracle fires; dark bar: has the CPU; green: holds a lock</text>%n"));
        for (int i = 0; i < lanes.size(); i++) {
            int y = TOP + i * LANE_H;
            s.append(String.format("<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>%n", y, WIDTH,
                    LANE_H, i % 2 == 0 ? "#f4f4f4" : "#ffffff"));
            s.append(String.format("<text x=\"6\" y=\"%d\">%s</text>%n", y + 14,
                    esc(fit(timeline.lanes().get(lanes.get(i)) + " (task " + lanes.get(i) + ")", LABEL_W - 10))));
        }
        drawCuts(s, height - (loss == null ? 30 : 48));
        for (Run r : runs) {
            if (hidden(r.start(), r.end())) {
                continue;
            }
            double x0 = x(r.start());
            s.append(String.format("<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"2\" fill=\"#333333\"/>%n", x0,
                    TOP + laneOf.get(r.tid()) * LANE_H + LANE_H - 2, Math.max(0.5, x(r.end()) - x0)));
        }
        for (Slice sl : slices) {
            if (hidden(sl.start(), sl.end())) {
                continue;
            }
            drawSlice(s, sl, TOP + laneOf.get(sl.tid()) * LANE_H);
        }
        for (Hold h : holds) {
            if (hidden(h.start(), h.end())) {
                continue;
            }
            double x0 = x(h.start());
            s.append(String.format("<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"2\" fill=\"#2ca02c\">"
                    + "<title>%s</title></rect>%n", x0, TOP + laneOf.getOrDefault(h.tid(), 0) * LANE_H,
                    Math.max(0.5, x(h.end()) - x0), esc(h.text())));
        }
        if (timeline.pageName() != null) {
            s.append(String.format("<text x=\"6\" y=\"%d\" font-weight=\"bold\">%s</text>%n", countersTop - 5,
                    esc(timeline.pageName())));
        }
        drawCounters(s, countersTop);
        for (Mark m : marks) {
            double mx = x(m.ts());
            int y = TOP + laneOf.getOrDefault(m.tid(), 0) * LANE_H;
            String color = m.loss() ? "#000000" : "#d62728";
            s.append(String.format("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" "
                    + "stroke-opacity=\"0.45\" stroke-dasharray=\"3,2\"/>%n", mx, TOP, mx,
                    height - (loss == null ? 30 : 48), color));
            s.append(String.format("<path d=\"M%.1f %d l-5 -7 h10 z\" fill=\"%s\"><title>%s</title></path>%n",
                    mx, y + LANE_H - 1, color, esc(m.text())));
            if (m.loss()) {
                s.append(String.format("<text x=\"%.1f\" y=\"%d\" font-size=\"9\" font-weight=\"bold\">data lost"
                        + "</text>%n", mx + 3, TOP - 3));
            }
        }
        if (loss != null) {
            s.append(String.format("<text x=\"6\" y=\"%d\" fill=\"#d62728\" font-weight=\"bold\">lost: %s</text>%n",
                    height - 26, esc(fit(loss, WIDTH - 50))));
        }
        s.append(String.format("<text x=\"6\" y=\"%d\" fill=\"#555555\">%s</text>%n", height - 8,
                "guest code: blue; system calls: orange; page faults: purple"));
        s.append("</svg>\n");
        return s.toString();
    }

    private void drawCuts(StringBuilder s, int bottom) {
        for (Piece p : pieces) {
            if (p.cut()) {
                s.append(String.format("<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#dddddd\">"
                        + "<title>%d events cut</title></rect>%n", p.x(), TOP, p.width(), bottom - TOP,
                        p.end() - p.start() + 1));
            }
        }
    }

    private void drawSlice(StringBuilder s, Slice sl, int laneY) {
        double x0 = x(sl.start());
        double w = Math.max(1, x(sl.end()) - x0);
        int inset = 2 + 3 * Math.min(sl.depth(), 3);
        String color = sl.name().equals("guest code") ? "#9ecae1" : sl.name().equals("page fault") ? "#bcbddc"
                : "#fdae6b";
        s.append(String.format("<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" stroke=\"#666666\" "
                + "stroke-width=\"0.3\"><title>%s</title></rect>%n", x0, laneY + inset, w, LANE_H - 2 * inset, color,
                esc(sl.name())));
        String label = fit(sl.name(), w - 4);
        if (!label.isEmpty()) {
            s.append(String.format("<text x=\"%.1f\" y=\"%d\" font-size=\"9\">%s</text>%n", x0 + 2, laneY + 13,
                    esc(label)));
        }
    }

    private void drawCounters(StringBuilder s, int top) {
        int row = 0;
        for (Map.Entry<String, List<long[]>> c : counters.entrySet()) {
            int y = top + row++ * COUNTER_H;
            long max = Math.max(1, c.getValue().stream().mapToLong(p -> p[1]).max().orElse(1));
            s.append(String.format("<text x=\"6\" y=\"%d\" font-size=\"9\">%s</text>%n", y + 10,
                    esc(fit(c.getKey(), LABEL_W + 4))));
            StringBuilder pts = new StringBuilder();
            double lastY = y + COUNTER_H - 2;
            pts.append(String.format("%d,%.1f", LABEL_W, lastY));
            List<long[]> values = c.getValue();
            for (int i = 0; i < values.size(); i++) {
                long[] p = values.get(i);
                Piece in = pieceOf(p[0]);
                if (in.cut() && i + 1 < values.size() && pieceOf(values.get(i + 1)[0]) == in) {
                    continue; // inside a cut stretch only the last value shows
                }
                double px = in.cut() ? in.x() + in.width() / 2 : x(p[0]);
                double py = y + COUNTER_H - 2 - (COUNTER_H - 5) * (double) p[1] / max;
                pts.append(String.format(" %.1f,%.1f %.1f,%.1f", px, lastY, px, py));
                lastY = py;
            }
            pts.append(String.format(" %d,%.1f", WIDTH - 10, lastY));
            s.append(String.format("<polyline points=\"%s\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\"/>%n",
                    pts));
        }
    }

    /** {@code text} cut to what fits in {@code width} pixels at the 9-10 px monospace, "" if nothing. */
    static String fit(String text, double width) {
        int chars = (int) (width / 6);
        if (chars >= text.length()) {
            return text;
        }
        return chars < 3 ? "" : text.substring(0, chars - 1) + "~";
    }

    static String esc(String text) {
        StringBuilder b = new StringBuilder();
        for (char c : text.toCharArray()) {
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                default -> b.append(c < 0x20 ? ' ' : c);
            }
        }
        return b.toString();
    }
}
