package dev.pagelab.cli;

import dev.pagelab.kernel.GuestStrings;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The guest's argv as the bytes pagelab was given. The JVM decodes its command line with the
 * platform charset and replaces bytes that are not valid in it (0xE9 becomes U+FFFD, EF BF BD
 * in the guest); Linux passes argv as bytes. So the guest's words are read again from
 * {@code /proc/self/cmdline}, whose tail they are, and carried as {@link GuestStrings}.
 */
final class RawArgs {
    private RawArgs() {}

    /** PROGRAM and ARGS as the guest's argv: the raw bytes when they can be found, else the strings. */
    static List<String> guestArgv(String program, List<String> args) {
        List<String> words = new ArrayList<>();
        words.add(program);
        words.addAll(args);
        List<byte[]> raw = cmdline();
        if (raw.size() < words.size()) {
            return words;
        }
        List<byte[]> tail = raw.subList(raw.size() - words.size(), raw.size());
        Charset jnu = platformCharset();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            byte[] b = tail.get(i);
            if (!new String(b, jnu).equals(words.get(i))) {
                return words; // not the same words (an unusual launcher): keep what the JVM gave
            }
            out.add(GuestStrings.decode(b));
        }
        return out;
    }

    private static List<byte[]> cmdline() {
        byte[] all;
        try {
            all = Files.readAllBytes(Path.of("/proc/self/cmdline"));
        } catch (IOException | UnsupportedOperationException e) {
            return List.of();
        }
        List<byte[]> words = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < all.length; i++) {
            if (all[i] == 0) {
                words.add(java.util.Arrays.copyOfRange(all, start, i));
                start = i + 1;
            }
        }
        return words;
    }

    private static Charset platformCharset() {
        try {
            return Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
        } catch (RuntimeException e) {
            return Charset.defaultCharset();
        }
    }
}
