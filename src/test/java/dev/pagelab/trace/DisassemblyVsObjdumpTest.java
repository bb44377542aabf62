package dev.pagelab.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagelab.emulator.Capstone;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The trace's disassembler (capstone 5) against GNU objdump on the text of every guest program:
 * the same instruction boundaries everywhere, and the same instruction once both texts are put in
 * one canonical form (the rules of {@link #canonical} are the two tools' spelling differences:
 * operand-size suffixes, number bases, spaces, objdump's symbol comments, default scale and zero
 * displacement, segment prefixes, the implicit count of a shift by one). Any other difference fails the test and is listed.
 */
class DisassemblyVsObjdumpTest {
    private static final Pattern LINE = Pattern.compile("^\\s*([0-9a-f]+):\\t([0-9a-f ]+?)\\s*(?:\\t(.*))?$");

    record ObjdumpInsn(long address, byte[] bytes, String text) {}

    @Test
    void attSyntaxMatchesObjdumpOnEveryGuestProgram() throws Exception {
        compareAll(Capstone.Syntax.ATT, List.of());
    }

    @Test
    void intelSyntaxMatchesObjdumpOnEveryGuestProgram() throws Exception {
        compareAll(Capstone.Syntax.INTEL, List.of("-M", "intel"));
    }

    private void compareAll(Capstone.Syntax syntax, List<String> objdumpOptions) throws Exception {
        List<Path> programs;
        try (Stream<Path> s = Files.list(guestBinaries())) {
            // The project's own guests (its tiny libc); the glibc-* programs are third-party libc code
            // whose string instructions and prefixes the two tools spell in yet more ways.
            programs = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("glibc-"))
                    .sorted().toList();
        }
        assertTrue(programs.size() >= 10, "guest programs are built: " + programs);
        long compared = 0;
        List<String> mismatches = new ArrayList<>();
        try (Capstone cs = new Capstone(syntax)) {
            for (Path p : programs) {
                for (ObjdumpInsn o : objdump(p, objdumpOptions)) {
                    Capstone.Insn c = cs.disassemble(o.bytes(), o.bytes().length, o.address());
                    compared++;
                    String where = p.getFileName() + " 0x" + Long.toHexString(o.address());
                    if (c == null) {
                        mismatches.add(where + ": capstone cannot decode, objdump: " + o.text());
                        continue;
                    }
                    assertEquals(o.bytes().length, c.size(), where + ": instruction length, objdump: " + o.text()
                            + ", capstone: " + c.text());
                    if (!same(canonical(o.text(), syntax), canonical(c.text(), syntax))) {
                        mismatches.add(where + ": objdump '" + o.text() + "' capstone '" + c.text() + "'  ["
                                + canonical(o.text(), syntax) + " vs " + canonical(c.text(), syntax) + "]");
                    }
                }
            }
        }
        assertTrue(compared > 5_000, "compared " + compared + " instructions");
        assertTrue(mismatches.isEmpty(), mismatches.size() + " of " + compared + " differ:\n"
                + String.join("\n", mismatches.subList(0, Math.min(60, mismatches.size()))));
    }

    /** Every instruction objdump -d shows, with its bytes (continuation lines joined). */
    static List<ObjdumpInsn> objdump(Path program, List<String> options) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("objdump", "-d", "-w"));
        cmd.addAll(options);
        cmd.add(program.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        List<ObjdumpInsn> result = new ArrayList<>();
        for (String line : out.split("\n")) {
            Matcher m = LINE.matcher(line);
            if (!m.matches() || m.group(3) == null || m.group(3).startsWith("(bad)")) {
                continue;
            }
            String[] hex = m.group(2).trim().split(" +");
            byte[] bytes = new byte[hex.length];
            for (int i = 0; i < hex.length; i++) {
                bytes[i] = (byte) Integer.parseInt(hex[i], 16);
            }
            result.add(new ObjdumpInsn(Long.parseLong(m.group(1), 16), bytes, m.group(3).trim()));
        }
        return result;
    }

    private static final Pattern NUMBER = Pattern.compile("(?<![%\\w.])(-?)(0x[0-9a-f]+|[0-9]+)(?![\\w])");

    /** One spelling for what both tools mean. */
    static String canonical(String text, Capstone.Syntax syntax) {
        String t = text.toLowerCase(Locale.ROOT);
        t = t.replaceAll("\\s*<[^>]*>", "").replaceAll("\\s*#.*$", "");
        t = t.trim().replaceAll("\\s+", " ");
        // Redundant prefixes objdump names and capstone folds in (padding nops): the same bytes.
        t = t.replaceAll("^(data16 |cs )+", "").replace("%cs:", "").replace("cs:", "");
        if (t.equals("xchg ax,ax") || t.equals("xchg %ax,%ax")) {
            t = "nop"; // 66 90
        }
        String prefix = "";
        Matcher pm = Pattern.compile("^((?:lock|rep|repz|repe|repnz|repne|notrack|bnd) )+").matcher(t);
        if (pm.find()) {
            prefix = pm.group();
            t = t.substring(prefix.length());
        }
        String mnemonic = t.contains(" ") ? t.substring(0, t.indexOf(' ')) : t;
        String ops = t.contains(" ") ? t.substring(t.indexOf(' ') + 1) : "";
        ops = ops.replace(" ", "");
        if (isBranch(mnemonic) && ops.matches("[0-9a-f]+")) {
            ops = "0x" + ops; // objdump prints branch targets without 0x
        }
        Matcher m = NUMBER.matcher(ops);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String digits = m.group(2);
            long v = digits.startsWith("0x") ? Long.parseUnsignedLong(digits.substring(2), 16)
                    : Long.parseUnsignedLong(digits);
            if (digits.length() == 10 && digits.startsWith("0x") && v >= 0x8000_0000L) {
                v = (int) v; // a 32-bit operand written as unsigned hex: the same bits as the negative
            }
            m.appendReplacement(b, Long.toString(m.group(1).isEmpty() ? v : -v));
        }
        m.appendTail(b);
        ops = b.toString();
        if (syntax == Capstone.Syntax.ATT) {
            ops = ops.replaceAll("(?<![\\w)])0\\(", "(").replace(",1)", ")");
            mnemonic = attMnemonic(mnemonic, ops);
            if (mnemonic.matches("shl|shr|sar|sal|rol|ror|rcl|rcr") && !ops.isEmpty() && !ops.contains(",")) {
                ops = "$1," + ops; // a shift by one (D0/D1): objdump leaves the count out, capstone spells it
            }
        } else {
            ops = ops.replaceAll("([fg]s):\\[(-?\\d+)\\]", "$1:$2").replace("+0]", "]").replace("*1]", "]").replace("*1+", "+").replace("*1-", "-");
        }
        return (prefix + mnemonic + " " + ops).trim();
    }

    /**
     * Equal, or (AT&T) the same but for an operand-size suffix that capstone spells and objdump
     * leaves to the operands ("cmoveq %rax, %rsi" is objdump's "cmove %rax,%rsi").
     */
    static boolean same(String objdump, String capstone) {
        if (objdump.equals(capstone)) {
            return true;
        }
        int o = objdump.indexOf(' '), c = capstone.indexOf(' ');
        String om = o < 0 ? objdump : objdump.substring(0, o), cm = c < 0 ? capstone : capstone.substring(0, c);
        String orest = o < 0 ? "" : objdump.substring(o), crest = c < 0 ? "" : capstone.substring(c);
        if (om.matches("lock|rep|repz|repe|repnz|repne|notrack|bnd")) {
            return om.equals(cm) && same(orest.trim(), crest.trim());
        }
        return orest.equals(crest) && cm.length() == om.length() + 1 && cm.startsWith(om)
                && "bwlq".indexOf(cm.charAt(cm.length() - 1)) >= 0;
    }

    private static boolean isBranch(String mnemonic) {
        return mnemonic.startsWith("j") || mnemonic.startsWith("call") || mnemonic.startsWith("loop");
    }

    /** AT&T size suffixes: objdump leaves out what the operands imply, capstone often spells it. */
    private static String attMnemonic(String mnemonic, String ops) {
        if (mnemonic.matches("(mov|add|sub|and|or|xor|cmp|test|lea|push|pop|call|ret|shl|shr|sar|sal|rol|ror|"
                + "inc|dec|neg|not|imul|mul|idiv|div|xchg|adc|sbb|bt|bts|btr|btc|bsf|bsr|cmpxchg|xadd|leave|jmp)"
                + "[bwlq]")) {
            return mnemonic.substring(0, mnemonic.length() - 1);
        }
        return mnemonic;
    }

    private static Path guestBinaries() {
        return Path.of(System.getProperty("pagelab.home", "."), "guest-programs", "target", "bin");
    }
}
