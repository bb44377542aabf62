package dev.pagelab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/**
 * {@code replay --explain / --timeline / --svg / --page} on real race schedules found through the
 * real command line: R2 on 2.6.19 (no preemption: the journal cleans the buffers, msync writes
 * nothing) and R3 on 2.6.20 (a store between page_mkclean and TestClearPageDirty).
 */
class ExplainCliTest {
    @TempDir
    static Path dir;

    static Path r2;
    static Path r3;

    @BeforeAll
    static void findTheRaces() {
        r2 = found("R2", "2.6.19");
        r3 = found("R3", "2.6.20");
    }

    @SuppressWarnings("unchecked")
    private static Path found(String race, String kernel) {
        Cli.Result r = Cli.run("races", "--race", race, "--kernel", kernel, "--json", "--out", dir.toString());
        assertEquals(0, r.exit(), r.toString());
        Map<String, Object> cell = (Map<String, Object>) JsonParser.parse(r.out().lines().findFirst().orElseThrow());
        assertEquals("lost", cell.get("verdict"), r.toString());
        return Path.of((String) cell.get("schedule"));
    }

    private static String hash(Cli.Result r) {
        Matcher m = Pattern.compile("trace hash (0x[0-9a-f]{16}) ").matcher(r.out());
        assertTrue(m.find(), r.toString());
        return m.group(1);
    }

    @Test
    void theStoryTellsThePageStepByStepAndTheLostBytes() {
        Cli.Result r = Cli.run("replay", r2.toString(), "--explain", "--story", "4");
        assertEquals(0, r.exit(), r.toString());
        String out = r.out();
        assertTrue(out.contains("page       page 0 of r.dat"), "the page holding the lost byte is followed:\n" + out);
        assertTrue(out.contains("page 0 of r.dat is: frame 0x"), "a kept stretch opens with the whole state:\n" + out);
        // R2's window: the page is dirty and its pte writable and dirty, but the journal has cleaned its buffers;
        // msync's writeback then finds nothing to write
        assertTrue(out.contains("[PG_dirty] tags [DIRTY]; pte(race2mmap pid 1) P RW D; bh ----"), out);
        assertTrue(out.contains("page 0 of r.dat: PG_dirty cleared"), out);
        assertTrue(out.contains("page 0 of r.dat: pte(race2mmap pid 1) none -> P -- -"), "page_mkclean: " + out);
        assertTrue(out.contains("<== the oracle fires: durability: r.dat offset "), out);
        Matcher lost = Pattern.compile("(?m)^lost       durability: r\\.dat offset (\\d+) \\(page (\\d+)\\): "
                + "expected 0x([0-9a-f]{2}), found 0x([0-9a-f]{2}) on disk").matcher(out);
        assertTrue(lost.find(), "the lost bytes, structured:\n" + out);
        assertEquals(Long.parseLong(lost.group(1)) >>> 12, Long.parseLong(lost.group(2)));
        assertFalse(lost.group(3).equals(lost.group(4)), "expected and found differ");
        assertTrue(out.contains("the same run, reproduced exactly"), out);
    }

    @Test
    void theProbeDoesNotChangeTheRun() {
        for (Path s : List.of(r2, r3)) {
            Cli.Result plain = Cli.run("replay", s.toString());
            Cli.Result probed = Cli.run("replay", s.toString(), "--explain", "--timeline",
                    dir.resolve("h.json").toString(), "--svg", dir.resolve("h.svg").toString(), "--page", "r.dat:1");
            assertEquals(0, plain.exit(), plain.toString());
            assertEquals(0, probed.exit(), probed.toString());
            assertEquals(hash(plain), hash(probed), "the same trace hash with the probe attached");
            assertFalse(probed.out().contains("DIFFERENT"), probed.toString());
            assertTrue(probed.out().contains("page       page 1 of r.dat"), "--page chooses: " + probed);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theTimelineHasCounterTracksForThePage() throws Exception {
        Path json = dir.resolve("r3.json");
        Cli.Result r = Cli.run("replay", r3.toString(), "--timeline", json.toString());
        assertEquals(0, r.exit(), r.toString());
        Map<String, Object> root = (Map<String, Object>) JsonParser.parse(Files.readString(json));
        List<Map<String, Object>> events = (List<Map<String, Object>>) root.get("traceEvents");
        Map<String, Set<Long>> counterValues = new HashMap<>();
        Map<Object, Long> depth = new HashMap<>();
        long lastTs = -1;
        Set<String> processNames = new HashSet<>();
        for (Map<String, Object> e : events) {
            String ph = (String) e.get("ph");
            assertTrue(Set.of("M", "B", "E", "i", "C", "X").contains(ph), "a trace-event phase: " + e);
            assertTrue(e.get("pid") instanceof Number, "every event has a pid: " + e);
            if (ph.equals("M")) {
                if (e.get("name").equals("process_name")) {
                    processNames.add((String) ((Map<String, Object>) e.get("args")).get("name"));
                }
                continue;
            }
            long ts = ((Number) e.get("ts")).longValue();
            assertTrue(ts >= lastTs || ph.equals("X"), "events in time order: " + e);
            lastTs = ph.equals("X") ? lastTs : ts;
            switch (ph) {
                case "C" -> {
                    Object v = ((Map<String, Object>) e.get("args")).get("value");
                    assertTrue(v instanceof Number, "a counter's value is a number: " + e);
                    counterValues.computeIfAbsent((String) e.get("name"), n -> new HashSet<>())
                            .add(((Number) v).longValue());
                }
                case "X" -> assertTrue(((Number) e.get("dur")).longValue() > 0, "a page slice lasts: " + e);
                case "B", "E" -> depth.merge(List.of(e.get("pid"), e.get("tid")), ph.equals("B") ? 1L : -1L, Long::sum);
                default -> { }
            }
        }
        assertTrue(depth.values().stream().allMatch(d -> d == 0), "every slice is closed: " + depth);
        assertTrue(processNames.contains("page 0 of r.dat"), "the page's own process: " + processNames);
        for (String c : List.of("PG_dirty", "PG_writeback", "PG_locked", "tag DIRTY", "tag WRITEBACK",
                "pte(race3msync pid 1) P", "pte(race3msync pid 1) RW", "pte(race3msync pid 1) D")) {
            assertEquals(Set.of(0L, 1L), counterValues.get(c), c + " goes both ways: " + counterValues.keySet());
        }
        assertEquals(Set.of(0L, 1L, 2L, 3L, 4L), counterValues.get("dirty buffers"), counterValues.toString());
        assertTrue(events.stream().anyMatch(e -> "PG_writeback".equals(e.get("name")) && "X".equals(e.get("ph"))),
                "writeback as slices");
        assertTrue(processNames.contains("locks held"), processNames.toString());
        assertTrue(events.stream().anyMatch(e -> "page_table_lock".equals(e.get("name")) && "X".equals(e.get("ph"))
                && "page_check_address".equals(((Map<String, Object>) e.get("args")).get("function"))),
                "page_mkclean's hold of the page table lock (page_check_address) is a slice");
        assertTrue(events.stream().anyMatch(e -> "mmap_sem read".equals(e.get("name"))), "mmap_sem holds");
        assertTrue(processNames.contains("CPUs (guest code)"), processNames.toString());
        Set<Object> cpusUsed = new HashSet<>();
        events.stream().filter(e -> "X".equals(e.get("ph")) && e.get("pid").equals(events.stream()
                        .filter(m -> "CPUs (guest code)".equals(((Map<String, Object>) m.getOrDefault("args", Map.of()))
                                .get("name"))).findFirst().orElseThrow().get("pid")))
                .forEach(e -> cpusUsed.add(e.get("tid")));
        assertEquals(2, cpusUsed.size(), "race3msync's two threads run guest code on two CPUs: " + cpusUsed);
    }

    @Test
    void theSvgIsWellFormedAndSelfContainedWithLanesPreemptionsAndCounters() throws Exception {
        Path svg = dir.resolve("r3.svg");
        Cli.Result r = Cli.run("replay", r3.toString(), "--svg", svg.toString());
        assertEquals(0, r.exit(), r.toString());
        String text = Files.readString(svg);
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setNamespaceAware(true);
        Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(text.getBytes()));
        assertEquals("svg", doc.getDocumentElement().getLocalName());
        assertEquals("http://www.w3.org/2000/svg", doc.getDocumentElement().getNamespaceURI());
        List<String> texts = texts(doc);
        for (String lane : List.of("race3msync (task 0)", "race3msync/2 (task 4)", "kdisk (task 1)",
                "flusher (task 2)", "kjournald (task 3)")) {
            assertTrue(texts.contains(lane), "a lane per task: " + lane + " in " + texts);
        }
        assertTrue(texts.contains("page 0 of r.dat") && texts.contains("PG_dirty") && texts.contains("tag DIRTY"),
                "the counters: " + texts);
        assertTrue(texts.stream().anyMatch(t -> t.startsWith("lost: durability: r.dat offset")), texts.toString());
        long preemptions = Cli.run("replay", r3.toString(), "--explain").out().lines()
                .filter(l -> l.matches("  \\d+\\. preemption: .*")).count();
        assertTrue(preemptions >= 1, "the shrunk R3 schedule has a preemption");
        assertEquals(preemptions, titles(doc).stream().filter(t -> t.startsWith("preempted")).count(),
                "every preemption marked: " + titles(doc));
        assertTrue(titles(doc).stream().anyMatch(t -> t.startsWith("the oracle fires: durability: r.dat offset")),
                "the moment of the loss marked: " + titles(doc));
        assertTrue(doc.getElementsByTagName("polyline").getLength() >= 9, "step lines for the counters");
        assertTrue(titles(doc).stream().anyMatch(t -> t.endsWith("events cut")), "a long run is compressed");
        for (String external : List.of("href", "<script", "@import", "url(", "<image", "@font-face")) {
            assertFalse(text.contains(external), "self-contained: no " + external);
        }
    }

    @Test
    void aBadPageIsOneLine() {
        Cli.Result r = Cli.run("replay", r2.toString(), "--explain", "--page", "r.dat");
        assertEquals(2, r.exit(), r.toString());
        assertEquals(1, r.err().strip().lines().count(), r.toString());
        assertTrue(r.err().contains("expected FILE:INDEX"), r.toString());
        for (String[] bad : List.of(new String[] {"--svg", dir.resolve("nodir/x.svg").toString()},
                new String[] {"--timeline", dir.toString()})) {
            Cli.Result b = Cli.run("replay", r2.toString(), bad[0], bad[1]);
            assertEquals(2, b.exit(), b.toString());
            assertEquals(1, b.err().strip().lines().count(), b.toString());
            assertTrue(b.err().contains("replay: " + bad[0]) && !b.err().contains("Exception"), b.toString());
        }
        Cli.Result none = Cli.run("replay", r2.toString(), "--explain", "--page", "nosuch.dat:0");
        assertEquals(0, none.exit(), none.toString());
        assertTrue(none.out().contains("page 0 of nosuch.dat is: not in the page cache"), none.toString());
    }

    private static List<String> texts(Document doc) {
        return contents(doc.getElementsByTagName("text"));
    }

    private static List<String> titles(Document doc) {
        return contents(doc.getElementsByTagName("title"));
    }

    private static List<String> contents(NodeList nodes) {
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            out.add(nodes.item(i).getTextContent());
        }
        return out;
    }
}
