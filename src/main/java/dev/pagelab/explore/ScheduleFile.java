package dev.pagelab.explore;

import dev.pagelab.kernel.KernelConfig;
import dev.pagelab.kernel.fs.DiskFilesystem;
import dev.pagelab.kernel.sched.Deviation;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A schedule as a file: a versioned text format, one {@code key value} line each, then the
 * deviations from round-robin, one line each. Everything a replay needs is in it: the program (path
 * and SHA-256), its arguments, the kernel configuration, CPUs, quantum, memory, oracles and the
 * daemons' periods; and what the run found: the failure and the trace hash. Format (version 1):
 * <pre>
 * pagelab-schedule 1
 * pagelab-version 0.1.0
 * program /path/to/racecount
 * program-sha256 5d1c...
 * argv racecount 2                 (each argument URL-encoded)
 * kernel 2.6.22 fixes=R1,R2,R3 dirty-tracking=true fs=ordered isize-extended=false
 * cpus 2 / quantum 200000 / memory-mib 32 / max-instructions 0
 * oracles check=false durability=false expect-exit=0
 * tunables 20000 10000 5000        (flusher period, dirty expiry, journal period; ns)
 * strategy pct depth=2 seed=1 schedule=17
 * failure exit%3A1 exit%20status%201  (URL-encoded signature and detail; "none" if it passed)
 * trace-hash 0x1234abcd5678ef90
 * decisions 812
 * deviations 2
 * budget task=4 at=16 n=5
 * pick task=4 at=17 run=5 preemption=true where=PREEMPT%20at%20rip%200x401a2b
 * end
 * </pre>
 */
public record ScheduleFile(Scenario scenario, String programSha256, String version, String strategy, Failure failure,
                           long traceHash, long decisions, List<Deviation> deviations) {
    public static final int FORMAT = 1;

    /** A schedule that cannot be used: one line for the user. */
    public static final class BadSchedule extends Exception {
        private static final long serialVersionUID = 1L;

        public BadSchedule(String message) {
            super(message);
        }
    }

    public void write(Path file) throws IOException {
        Files.writeString(file, render());
    }

    String render() {
        Scenario s = scenario;
        StringBuilder b = new StringBuilder();
        b.append("# pagelab schedule: replay with `pagelab replay FILE`\n");
        b.append("pagelab-schedule ").append(FORMAT).append('\n');
        b.append("pagelab-version ").append(version).append('\n');
        b.append("program ").append(enc(s.program().toAbsolutePath().toString())).append('\n');
        b.append("program-sha256 ").append(programSha256).append('\n');
        b.append("argv");
        s.argv().forEach(a -> b.append(' ').append(enc(a)));
        b.append('\n');
        KernelConfig k = s.config();
        b.append("kernel ").append(k.name()).append(" fixes=").append(fixes(k)).append(" dirty-tracking=")
                .append(k.dirtyTracking()).append(" fs=").append(k.fs()).append(" isize-extended=")
                .append(k.isizeExtended()).append('\n');
        b.append("cpus ").append(s.cpus()).append('\n');
        b.append("quantum ").append(s.quantum()).append('\n');
        b.append("memory-mib ").append(s.memoryBytes() >> 20).append('\n');
        b.append("max-instructions ").append(s.maxInstructions()).append('\n');
        b.append("oracles check=").append(s.check()).append(" durability=").append(s.checkDurability())
                .append(" expect-exit=").append(s.expectExit()).append('\n');
        DiskFilesystem.Tunables t = s.tunables();
        b.append("tunables ").append(t.flushIntervalNs()).append(' ').append(t.dirtyExpireNs()).append(' ')
                .append(t.journalIntervalNs()).append('\n');
        b.append("strategy ").append(strategy).append('\n');
        b.append("failure ").append(failure.failed() ? enc(failure.signature()) + " " + enc(failure.detail()) : "none")
                .append('\n');
        b.append("trace-hash ").append(String.format("0x%016x", traceHash)).append('\n');
        b.append("decisions ").append(decisions).append('\n');
        b.append("deviations ").append(deviations.size()).append('\n');
        for (Deviation d : deviations) {
            if (d.kind() == Deviation.Kind.BUDGET) {
                b.append("budget task=").append(d.task()).append(" at=").append(d.index()).append(" n=")
                        .append(d.value()).append('\n');
            } else {
                b.append("pick task=").append(d.task()).append(" at=").append(d.index()).append(" run=")
                        .append(d.value()).append(" preemption=").append(d.preemption()).append(" where=")
                        .append(enc(d.where())).append('\n');
            }
        }
        b.append("end\n");
        return b.toString();
    }

    /** Reads and checks a schedule file; any defect is one {@link BadSchedule} line. */
    public static ScheduleFile read(Path file) throws IOException, BadSchedule {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        try {
            return parse(lines);
        } catch (RuntimeException e) {
            throw new BadSchedule(file + ": not a valid pagelab schedule (" + e.getMessage() + ")");
        }
    }

    private static ScheduleFile parse(List<String> lines) throws BadSchedule {
        Map<String, String> h = new LinkedHashMap<>();
        List<Deviation> devs = new ArrayList<>();
        boolean ended = false;
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            if (ended) {
                throw new IllegalArgumentException("text after 'end'");
            }
            String[] kv = line.split(" ", 2);
            switch (kv[0]) {
                case "pick", "budget" -> devs.add(deviation(kv[0], fields(kv[1])));
                case "end" -> ended = true;
                default -> h.put(kv[0], kv.length > 1 ? kv[1] : "");
            }
        }
        if (!"1".equals(h.get("pagelab-schedule"))) {
            throw new BadSchedule("not a pagelab schedule of format " + FORMAT + " (header 'pagelab-schedule "
                    + h.getOrDefault("pagelab-schedule", "missing") + "')");
        }
        if (!ended || Integer.parseInt(need(h, "deviations")) != devs.size()) {
            throw new IllegalArgumentException("truncated: " + devs.size() + " deviations, header says "
                    + h.get("deviations"));
        }
        Map<String, String> o = fields(need(h, "oracles"));
        String[] t = need(h, "tunables").split(" ");
        List<String> argv = new ArrayList<>();
        for (String a : need(h, "argv").split(" ")) {
            argv.add(dec(a));
        }
        Scenario s = new Scenario(Path.of(dec(need(h, "program"))), argv, kernel(need(h, "kernel")),
                Integer.parseInt(need(h, "cpus")), Long.parseLong(need(h, "quantum")),
                Long.parseLong(need(h, "memory-mib")) << 20, Boolean.parseBoolean(o.get("check")),
                Boolean.parseBoolean(o.get("durability")), Integer.parseInt(o.get("expect-exit")),
                Long.parseLong(need(h, "max-instructions")),
                new DiskFilesystem.Tunables(Long.parseLong(t[0]), Long.parseLong(t[1]), Long.parseLong(t[2])));
        String f = need(h, "failure");
        Failure failure = f.equals("none") ? Failure.NONE
                : new Failure(dec(f.split(" ", 2)[0]), f.contains(" ") ? dec(f.split(" ", 2)[1]) : "");
        return new ScheduleFile(s, need(h, "program-sha256"), need(h, "pagelab-version"), need(h, "strategy"), failure,
                Long.parseUnsignedLong(need(h, "trace-hash").substring(2), 16), Long.parseLong(need(h, "decisions")),
                List.copyOf(devs));
    }

    private static Deviation deviation(String kind, Map<String, String> f) {
        int task = Integer.parseInt(f.get("task"));
        long at = Long.parseLong(f.get("at"));
        if (kind.equals("budget")) {
            long n = Long.parseLong(f.get("n"));
            if (n < 1) {
                throw new IllegalArgumentException("budget n=" + n);
            }
            return new Deviation(task, at, Deviation.Kind.BUDGET, n, false, "");
        }
        return new Deviation(task, at, Deviation.Kind.PICK, Integer.parseInt(f.get("run")),
                Boolean.parseBoolean(f.get("preemption")), dec(f.getOrDefault("where", "")));
    }

    private static KernelConfig kernel(String v) {
        String name = v.split(" ", 2)[0];
        Map<String, String> k = fields(v.substring(name.length()));
        List<String> f = List.of(k.get("fixes").split(","));
        return new KernelConfig(name, f.contains("R1"), f.contains("R2"), f.contains("R3"), f.contains("R4"),
                f.contains("R5"), Boolean.parseBoolean(k.get("dirty-tracking")), KernelConfig.FsMode.parse(k.get("fs")),
                Boolean.parseBoolean(k.get("isize-extended")));
    }

    static String fixes(KernelConfig c) {
        List<String> f = new ArrayList<>();
        if (c.r1()) f.add("R1");
        if (c.r2()) f.add("R2");
        if (c.r3()) f.add("R3");
        if (c.r4()) f.add("R4");
        if (c.r5()) f.add("R5");
        return String.join(",", f);
    }

    private static Map<String, String> fields(String s) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String p : s.trim().split(" +")) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("bad field '" + p + "'");
            }
            m.put(p.substring(0, eq), p.substring(eq + 1));
        }
        return m;
    }

    private static String need(Map<String, String> h, String key) {
        String v = h.get(key);
        if (v == null) {
            throw new IllegalArgumentException("missing '" + key + "'");
        }
        return v;
    }

    static String enc(String s) {
        return s.isEmpty() ? "%00" : URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static String dec(String s) {
        return s.equals("%00") ? "" : URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    /** The SHA-256 of a file, hex. */
    public static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
