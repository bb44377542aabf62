package dev.pagelab.kernel.proc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pagelab.kernel.proc.ElfFile.Segment;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ELF64 parser: real guest binaries, hand-built images for every refusal, and fuzzing. */
class ElfFileTest {
    private static final int R = Segment.PF_R, W = Segment.PF_W, X = Segment.PF_X;
    private static final int PT_LOAD = 1, PT_INTERP = 3, PT_PHDR = 6, PT_GNU_STACK = 0x6474e551;

    // ---- real binaries built by gcc ----

    private static Path binDir() {
        String home = System.getProperty("pagelab.home");
        return home != null ? Path.of(home, "guest-programs", "target", "bin")
                : Path.of("..", "guest-programs", "target", "bin");
    }

    private static Path guest(String name) {
        Path p = binDir().resolve(name);
        assumeTrue(Files.isRegularFile(p), p + " is not built (make -C guest-programs)");
        return p;
    }

    @Test
    void helloIsAStaticExecutableWithItsEntryInAnExecutableSegment() throws Exception {
        ElfFile elf = ElfFile.read(guest("hello"));
        assertEquals(2, elf.type());
        assertEquals(56, elf.phentsize());
        assertFalse(elf.loads().isEmpty());
        assertTrue(elf.loads().stream().anyMatch(s -> s.executable() && contains(s, elf.entry())),
                "entry " + Long.toHexString(elf.entry()) + " in an executable PT_LOAD");
        assertNotEquals(0, elf.phdrAddress());
        assertValid(elf);
    }

    @Test
    void readAgreesWithParse() throws Exception {
        Path hello = guest("hello");
        ElfFile read = ElfFile.read(hello);
        ElfFile parsed = ElfFile.parse(Files.readAllBytes(hello));
        assertEquals(parsed.entry(), read.entry());
        assertEquals(parsed.loads(), read.loads());
        assertEquals(parsed.phdrAddress(), read.phdrAddress());
        assertArrayEquals(parsed.image(), read.image());
    }

    @Test
    void everyGuestProgramParses() throws Exception {
        guest("hello");
        List<Path> all;
        try (Stream<Path> files = Files.list(binDir())) {
            all = files.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path p : all) {
            try {
                assertValid(ElfFile.read(p));
            } catch (ElfException e) {
                fail(p + ": " + e.getMessage(), e);
            }
        }
    }

    // ---- hand-built images that parse ----

    @Test
    void aMinimalImageParses() throws Exception {
        ElfFile elf = ElfFile.parse(new Builder().build());
        assertEquals(0x401000, elf.entry());
        assertEquals(2, elf.type());
        assertEquals(64, elf.phoff());
        assertEquals(4, elf.phnum());
        assertEquals(List.of(
                new Segment(0x400000, 0, 0x1000, 0x1000, R, 0x1000),
                new Segment(0x401000, 0x1000, 0x1000, 0x1000, R | X, 0x1000),
                new Segment(0x402000, 0x2000, 0x100, 0x2000, R | W, 0x1000)), elf.loads());
        assertEquals(0x400040, elf.phdrAddress());
        Segment text = elf.loads().get(1);
        assertTrue(text.readable() && text.executable() && !text.writable());
        Segment data = elf.loads().get(2);
        assertTrue(data.readable() && data.writable() && !data.executable());
        assertValid(elf);
    }

    @Test
    void ptPhdrGivesThePhdrAddress() throws Exception {
        Builder b = new Builder();
        b.phdrs.add(0, new long[] {PT_PHDR, R, 64, 0x400040, 5 * 56, 5 * 56, 8});
        assertEquals(0x400040, ElfFile.parse(b.build()).phdrAddress());
        b.phdrs.get(0)[3] = 0x400080;
        assertEquals(0x400080, ElfFile.parse(b.build()).phdrAddress());
    }

    @Test
    void phdrAddressIsZeroWhenNoSegmentHoldsTheTable() throws Exception {
        Builder b = new Builder();
        b.phoff = 0x2800; // after the data segment's 0x100 file bytes
        ElfFile elf = ElfFile.parse(b.build());
        assertEquals(0x2800, elf.phoff());
        assertEquals(0, elf.phdrAddress());
    }

    @Test
    void phdrAddressIsFoundInALaterSegment() throws Exception {
        Builder b = new Builder();
        b.phoff = 0x1010; // inside the text segment's file bytes
        assertEquals(0x401010, ElfFile.parse(b.build()).phdrAddress());
    }

    @Test
    void segmentsMayShareAPageButNotBytes() throws Exception {
        Builder b = new Builder();
        b.phdrs.set(1, new long[] {PT_LOAD, R | X, 0x1000, 0x401000, 0x800, 0x800, 0x1000});
        b.phdrs.add(2, new long[] {PT_LOAD, R, 0x1800, 0x401800, 0x100, 0x100, 0x1000});
        assertEquals(4, ElfFile.parse(b.build()).loads().size());
        b.phdrs.get(2)[3] = 0x4017ff;
        b.phdrs.get(2)[2] = 0x17ff;
        assertMessage("PT_LOAD segments overlap: segment 1 [0x401000, 0x401800) and segment 2 "
                + "[0x4017ff, 0x4018ff)", b.build());
    }

    @Test
    void aBssOnlySegmentNeedsNoFileBytes() throws Exception {
        Builder b = new Builder();
        // offset past the end of the file and not congruent: unused when p_filesz is 0 (as in Linux)
        b.phdrs.add(new long[] {PT_LOAD, R | W, 0x123456, 0x404000, 0, 0x60, 0x1000});
        Segment bss = ElfFile.parse(b.build()).loads().get(3);
        assertEquals(0, bss.fileSize());
        assertEquals(0x60, bss.memSize());
    }

    @Test
    void otherProgramHeadersAreIgnored() throws Exception {
        Builder b = new Builder();
        b.phdrs.add(new long[] {PT_GNU_STACK, R | W, 0, 0, 0, 0, 16});
        b.phdrs.add(new long[] {0x6474e552 /* PT_GNU_RELRO */, R, -1, -1, -1, -1, -1});
        assertEquals(3, ElfFile.parse(b.build()).loads().size());
    }

    // ---- hand-built images that are refused ----

    @Test
    void emptyAndTruncatedHeaders() {
        byte[] good = new Builder().build();
        assertMessage("empty file", new byte[0]);
        for (int n = 1; n < 64; n++) {
            assertMessage("truncated ELF header (" + n + " bytes)", Arrays.copyOf(good, n));
        }
    }

    @Test
    void truncatedProgramHeaderTable() {
        byte[] good = new Builder().build();
        assertMessage("truncated ELF: program header 0 ends at byte 120 of a 64-byte file",
                Arrays.copyOf(good, 64));
        assertMessage("truncated ELF: program header 0 ends at byte 120 of a 119-byte file",
                Arrays.copyOf(good, 119));
        assertMessage("truncated ELF: program header 3 ends at byte 288 of a 250-byte file",
                Arrays.copyOf(good, 250));
        Builder huge = new Builder();
        huge.phoffInHeader = 0xffff_ffff_ffff_fff0L;
        assertMessage("truncated ELF: program header 0 ends at byte 18446744073709551656 of a 12288-byte file",
                huge.build());
    }

    @Test
    void truncatedSegment() {
        byte[] good = new Builder().build();
        assertMessage("truncated ELF: PT_LOAD segment 1 ends at byte 8192 of a 4096-byte file",
                Arrays.copyOf(good, 4096));
        assertMessage("truncated ELF: PT_LOAD segment 2 ends at byte 8448 of a 8447-byte file",
                Arrays.copyOf(good, 8447));
        assertAccepted(Arrays.copyOf(good, 8448));
    }

    @Test
    void segmentBeyondTheEndOfTheFile() {
        Builder b = new Builder();
        b.phdrs.get(2)[2] = 0x7fff_ffff_ffff_f000L; // p_offset: the sum overflows a long
        b.phdrs.get(2)[3] = 0x402000;
        assertMessage("truncated ELF: PT_LOAD segment 2 ends at byte 9223372036854771968 of a 12288-byte file",
                b.build());
        b.phdrs.get(2)[2] = 0xffff_ffff_ffff_f000L;
        assertMessage("truncated ELF: PT_LOAD segment 2 ends at byte 18446744073709547776 of a 12288-byte file",
                b.build());
    }

    @Test
    void badMagic() {
        assertMessage("not an ELF file (bad magic)", "#!/bin/sh\necho hi\n".getBytes(StandardCharsets.US_ASCII));
        assertMessage("not an ELF file (bad magic)", new byte[] {0x7f, 'E', 'L', 'G'});
        assertMessage("not an ELF file (bad magic)", new byte[] {'M', 'Z'});
        byte[] image = new Builder().build();
        image[3] = 'f';
        assertMessage("not an ELF file (bad magic)", image);
    }

    @Test
    void identBytes() {
        Builder b = new Builder();
        b.elfClass = 1;
        assertMessage("32-bit ELF (ELFCLASS32) is not supported; pagelab runs x86-64 static executables", b.build());
        // a real ELF32 header is 52 bytes: the class is reported, not the length
        assertMessage("32-bit ELF (ELFCLASS32) is not supported; pagelab runs x86-64 static executables",
                Arrays.copyOf(b.build(), 52));
        b.elfClass = 0;
        assertMessage("invalid ELF class 0 (EI_CLASS must be 2, ELFCLASS64)", b.build());
        b = new Builder();
        b.data = 2;
        assertMessage("big-endian ELF is not supported", b.build());
        b.data = 7;
        assertMessage("invalid ELF data encoding 7 (EI_DATA must be 1, little-endian)", b.build());
        b = new Builder();
        b.version = 0;
        assertMessage("unsupported ELF version 0 (EI_VERSION must be 1, EV_CURRENT)", b.build());
    }

    @Test
    void wrongMachine() {
        Builder b = new Builder();
        b.machine = 183;
        assertMessage("ELF for machine 183 (EM_AARCH64, not x86-64)", b.build());
        b.machine = 3;
        assertMessage("ELF for machine 3 (EM_386, not x86-64)", b.build());
        b.machine = 0xbeef;
        assertMessage("ELF for machine 48879 (not x86-64)", b.build());
    }

    @Test
    void wrongType() {
        Builder b = new Builder();
        b.type = 1;
        assertMessage("not an executable (e_type 1, ET_REL)", b.build());
        b.type = 4;
        assertMessage("not an executable (e_type 4, ET_CORE)", b.build());
        b.type = 0;
        assertMessage("not an executable (e_type 0, ET_NONE)", b.build());
        b.type = 0xfe00;
        assertMessage("not an executable (e_type 65024)", b.build());
        b.type = 3;
        assertMessage("position-independent executable (ET_DYN) is not supported; build with -static -no-pie",
                b.build());
    }

    @Test
    void badProgramHeaderTable() {
        Builder b = new Builder();
        b.phentsize = 32;
        assertMessage("bad program header size (e_phentsize 32; must be 56 for ELF64)", b.build());
        b = new Builder();
        b.phnumInHeader = 0;
        assertMessage("no program headers (e_phnum 0)", b.build());
        b.phnumInHeader = 0xffff; // PN_XNUM
        assertMessage("too many program headers (e_phnum 65535; at most 1170)", b.build());
    }

    @Test
    void dynamicallyLinked() {
        Builder b = new Builder();
        String interp = "/lib64/ld-linux-x86-64.so.2";
        b.put(0x2000 + 0x10, (interp + "\0").getBytes(StandardCharsets.US_ASCII));
        b.phdrs.add(0, new long[] {PT_INTERP, R, 0x2010, 0x402010, interp.length() + 1, interp.length() + 1, 1});
        assertMessage("dynamically linked executable (has PT_INTERP /lib64/ld-linux-x86-64.so.2); "
                + "pagelab runs static executables only", b.build());
        b.phdrs.get(0)[2] = 0x7fff_0000; // path not in the file: still refused, without the path
        assertMessage("dynamically linked executable (has PT_INTERP); pagelab runs static executables only",
                b.build());
    }

    @Test
    void fileSizeAboveMemorySize() {
        Builder b = new Builder();
        b.phdrs.get(2)[4] = 8192;
        b.phdrs.get(2)[5] = 4096;
        assertMessage("PT_LOAD segment 2: p_filesz 8192 > p_memsz 4096", b.build());
        b.phdrs.get(2)[4] = -1;
        assertMessage("PT_LOAD segment 2: p_filesz 18446744073709551615 > p_memsz 4096", b.build());
    }

    @Test
    void overlappingSegments() {
        Builder b = new Builder();
        b.phdrs.get(1)[5] = 0x1001; // text's memory runs one byte into data
        assertMessage("PT_LOAD segments overlap: segment 1 [0x401000, 0x402001) and segment 2 "
                + "[0x402000, 0x404000)", b.build());
        b = new Builder();
        b.phdrs.get(0)[5] = 0x10000; // the first segment's memory covers all the others
        assertMessage("PT_LOAD segments overlap: segment 0 [0x400000, 0x410000) and segment 1 "
                + "[0x401000, 0x402000)", b.build());
        b = new Builder(); // two segments at the same address
        b.phdrs.get(2)[3] = 0x401000;
        b.phdrs.get(2)[2] = 0x1000;
        assertMessage("PT_LOAD segments overlap: segment 1 [0x401000, 0x402000) and segment 2 "
                + "[0x401000, 0x403000)", b.build());
    }

    @Test
    void unsortedSegments() {
        Builder b = new Builder();
        long[] text = b.phdrs.remove(1);
        b.phdrs.add(text);
        assertMessage("PT_LOAD segments are not sorted by address: segment 3 (p_vaddr 0x401000) "
                + "follows segment 1 (p_vaddr 0x402000)", b.build());
    }

    @Test
    void entryOutsideAnExecutableSegment() {
        Builder b = new Builder();
        b.entry = 0x500000;
        assertMessage("entry point 0x500000 is not inside an executable PT_LOAD segment", b.build());
        b.entry = 0x402000;
        assertMessage("entry point 0x402000 is not inside an executable PT_LOAD segment "
                + "(it is in segment 2, which is not executable)", b.build());
        b.entry = 0x402000 - 1;
        assertAccepted(b.build());
        b.entry = 0x401000 - 1;
        assertMessage("entry point 0x400fff is not inside an executable PT_LOAD segment "
                + "(it is in segment 0, which is not executable)", b.build());
        b.entry = -1;
        assertMessage("entry point 0xffffffffffffffff is not inside an executable PT_LOAD segment", b.build());
    }

    @Test
    void misalignedSegment() {
        Builder b = new Builder();
        b.phdrs.get(1)[3] = 0x401010;
        b.entry = 0x401010;
        assertMessage("PT_LOAD segment 1: p_vaddr 0x401010 and p_offset 0x1000 are not congruent "
                + "modulo the 4096-byte page size", b.build());
        b = new Builder(); // congruent but not page-aligned is fine, as in gcc output
        b.phdrs.get(2)[2] = 0x2010;
        b.phdrs.get(2)[3] = 0x402010;
        assertAccepted(b.build());
    }

    @Test
    void segmentOutsideTheUserHalf() {
        Builder b = new Builder();
        b.phdrs.get(2)[3] = 0xffff_ffff_8000_0000L;
        assertMessage("PT_LOAD segment 2: addresses 0xffffffff80000000..0xffffffff80002000 are not in the "
                + "user half (below 0x800000000000)", b.build());
        b.phdrs.get(2)[3] = 0x7fff_ffff_f000L; // starts in the user half, ends past it
        assertMessage("PT_LOAD segment 2: addresses 0x7ffffffff000..0x800000001000 are not in the "
                + "user half (below 0x800000000000)", b.build());
        b.phdrs.get(2)[5] = 0xffff_ffff_ffff_f000L; // the end overflows 64 bits
        b.phdrs.get(2)[3] = 0x7fff_ffff_f000L;
        assertMessage("PT_LOAD segment 2: addresses 0x7ffffffff000..0x100007fffffffe000 are not in the "
                + "user half (below 0x800000000000)", b.build());
        b.phdrs.get(2)[5] = 0x1000; // ends exactly at the limit: fine
        assertAccepted(b.build());
    }

    @Test
    void segmentOverlappingTheStackIsRefused() {
        Builder b = new Builder();
        b.phdrs.get(2)[3] = 0x7fff_ffff_0000L; // p_vaddr inside the 8 MiB stack below 0x7fffffffe000
        assertMessage("PT_LOAD segment 2: addresses 0x7fffffff0000..0x7fffffff2000 overlap the stack (which "
                + "starts at 0x7fffff7fe000)", b.build());
        b.phdrs.get(2)[3] = 0x7fff_ff7f_d000L; // ends one page into the stack
        assertMessage("PT_LOAD segment 2: addresses 0x7fffff7fd000..0x7fffff7ff000 overlap the stack (which "
                + "starts at 0x7fffff7fe000)", b.build());
        b.phdrs.get(2)[3] = 0x7fff_ff7f_c000L; // ends where the stack starts: fine
        assertAccepted(b.build());
    }

    @Test
    void noLoadableSegment() {
        Builder b = new Builder();
        b.phdrs.clear();
        b.phdrs.add(new long[] {PT_GNU_STACK, R | W, 0, 0, 0, 0, 16});
        assertMessage("no PT_LOAD segments (nothing to load)", b.build());
    }

    @Test
    void readRefusesHugeFiles(@TempDir Path dir) throws IOException {
        Path big = dir.resolve("big");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength((256L << 20) + 1); // sparse
        }
        ElfException e = assertThrows(ElfException.class, () -> ElfFile.read(big));
        assertEquals("file too large for an executable (268435457 bytes; pagelab loads at most 256 MiB)",
                e.getMessage());
        Path small = dir.resolve("small");
        Files.write(small, new Builder().build());
        assertNoException(() -> ElfFile.read(small));
    }

    // ---- fuzzing: ElfException or a valid result, never anything else ----

    @Test
    void randomBytesNeverThrowAnythingButElfException() {
        Random random = new Random(0x5eed_e1f);
        byte[] ident = Arrays.copyOf(new Builder().build(), 16);
        for (int i = 0; i < 2000; i++) {
            byte[] image = new byte[random.nextInt(301)];
            random.nextBytes(image);
            if (i % 2 == 0) { // half start with a valid e_ident, to get past the first checks
                System.arraycopy(ident, 0, image, 0, Math.min(ident.length, image.length));
            }
            parseOrRefuse("random " + i, image);
        }
    }

    @Test
    void mutatedImagesNeverThrowAnythingButElfException() throws IOException {
        Path hello = binDir().resolve("hello");
        List<byte[]> seeds = new ArrayList<>();
        seeds.add(new Builder().build());
        if (Files.isRegularFile(hello)) {
            seeds.add(Files.readAllBytes(hello));
        }
        Random random = new Random(42);
        int parsed = 0;
        for (int s = 0; s < seeds.size(); s++) {
            byte[] seed = seeds.get(s);
            int headers = Math.min(seed.length, 64 + 16 * 56);
            for (int i = 0; i < 3000; i++) {
                byte[] image = seed.clone();
                switch (i % 3) {
                    case 0 -> image = Arrays.copyOf(image, random.nextInt(image.length + 1));
                    case 1 -> flip(random, image, headers, 1 + random.nextInt(4));
                    default -> {
                        flip(random, image, headers, 1 + random.nextInt(8));
                        image = Arrays.copyOf(image, random.nextInt(image.length + 1));
                    }
                }
                if (parseOrRefuse("seed " + s + " mutation " + i, image)) {
                    parsed++;
                }
            }
        }
        assertTrue(parsed > 0, "some mutations still parse");
    }

    /** Flips {@code count} random bytes, mostly in the headers where they matter. */
    private static void flip(Random random, byte[] image, int headers, int count) {
        for (int k = 0; k < count && image.length > 0; k++) {
            int at = random.nextInt(4) == 0 ? random.nextInt(image.length) : random.nextInt(headers);
            image[at] = random.nextBoolean() ? (byte) random.nextInt(256) : (byte) (image[at] ^ (1 << random.nextInt(8)));
        }
    }

    /** True if {@code image} parses (to a valid result); false if refused with a one-line message. */
    private static boolean parseOrRefuse(String what, byte[] image) {
        try {
            assertValid(ElfFile.parse(image));
            return true;
        } catch (ElfException e) {
            String m = e.getMessage();
            assertTrue(m != null && !m.isBlank() && !m.contains("\n") && !m.contains("\r"),
                    what + ": message " + m);
            return false;
        } catch (RuntimeException e) {
            fail(what + ": " + image.length + " bytes threw " + e, e);
            return false;
        }
    }

    // ---- helpers ----

    private static void assertMessage(String expected, byte[] image) {
        ElfException e = assertThrows(ElfException.class, () -> ElfFile.parse(image));
        assertEquals(expected, e.getMessage());
    }

    private static void assertAccepted(byte[] image) {
        assertNoException(() -> ElfFile.parse(image));
    }

    private static void assertNoException(ThrowingRunnable r) {
        try {
            r.run();
        } catch (Exception e) {
            fail("unexpected " + e, e);
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static boolean contains(Segment s, long address) {
        return address >= s.vaddr() && address - s.vaddr() < s.memSize();
    }

    /** The promises of a parsed file, checked independently of the parser. */
    private static void assertValid(ElfFile elf) {
        assertEquals(2, elf.type());
        assertEquals(56, elf.phentsize());
        assertFalse(elf.loads().isEmpty());
        long previousEnd = 0;
        for (Segment s : elf.loads()) {
            assertTrue(Long.compareUnsigned(s.fileSize(), s.memSize()) <= 0, s.toString());
            assertTrue(s.vaddr() >= 0 && s.vaddr() + s.memSize() <= 0x8000_0000_0000L, s.toString());
            if (s.fileSize() > 0) {
                assertTrue(s.offset() >= 0 && s.offset() + s.fileSize() <= elf.image().length, s.toString());
                assertEquals(s.vaddr() % 4096, s.offset() % 4096, s.toString());
            }
            if (s.memSize() > 0) {
                assertTrue(s.vaddr() >= previousEnd, "sorted and disjoint: " + elf.loads());
                previousEnd = s.vaddr() + s.memSize();
            }
        }
        assertTrue(elf.loads().stream().anyMatch(s -> s.executable() && contains(s, elf.entry())));
        if (elf.phdrAddress() != 0 && !hasPtPhdr(elf)) {
            // the loaded bytes at AT_PHDR are the program header table
            Segment s = elf.loads().stream().filter(l -> contains(l, elf.phdrAddress())).findFirst().orElseThrow();
            int at = (int) (s.offset() + elf.phdrAddress() - s.vaddr());
            int length = elf.phnum() * 56;
            assertArrayEquals(Arrays.copyOfRange(elf.image(), (int) elf.phoff(), (int) elf.phoff() + length),
                    Arrays.copyOfRange(elf.image(), at, at + length));
        }
    }

    private static boolean hasPtPhdr(ElfFile elf) {
        ByteBuffer buf = ByteBuffer.wrap(elf.image()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < elf.phnum(); i++) {
            if (buf.getInt((int) elf.phoff() + i * 56) == PT_PHDR) {
                return true;
            }
        }
        return false;
    }

    /**
     * A little ELF64 writer. By default: a valid 12 KiB static executable with a read-only segment
     * holding the headers, a text segment holding the entry, and a data+bss segment.
     */
    private static final class Builder {
        int elfClass = 2, data = 1, version = 1, type = 2, machine = 62, phentsize = 56;
        long entry = 0x401000;
        long phoff = 64;
        Long phoffInHeader; // when set, written to e_phoff instead of phoff
        Integer phnumInHeader; // when set, written to e_phnum instead of the count
        int minimumLength = 0x3000;
        /** p_type, p_flags, p_offset, p_vaddr, p_filesz, p_memsz, p_align. */
        final List<long[]> phdrs = new ArrayList<>(List.of(
                new long[] {PT_LOAD, R, 0, 0x400000, 0x1000, 0x1000, 0x1000},
                new long[] {PT_LOAD, R | X, 0x1000, 0x401000, 0x1000, 0x1000, 0x1000},
                new long[] {PT_LOAD, R | W, 0x2000, 0x402000, 0x100, 0x2000, 0x1000},
                new long[] {PT_GNU_STACK, R | W, 0, 0, 0, 0, 16}));
        private final List<Object[]> contents = new ArrayList<>();

        Builder put(int offset, byte[] bytes) {
            contents.add(new Object[] {offset, bytes});
            return this;
        }

        byte[] build() {
            int tableEnd = (int) phoff + phdrs.size() * 56;
            ByteBuffer buf = ByteBuffer.allocate(Math.max(minimumLength, Math.max(64, tableEnd)))
                    .order(ByteOrder.LITTLE_ENDIAN);
            buf.put(new byte[] {0x7f, 'E', 'L', 'F', (byte) elfClass, (byte) data, (byte) version});
            buf.putShort(16, (short) type);
            buf.putShort(18, (short) machine);
            buf.putInt(20, 1);
            buf.putLong(24, entry);
            buf.putLong(32, phoffInHeader != null ? phoffInHeader : phoff);
            buf.putShort(52, (short) 64);
            buf.putShort(54, (short) phentsize);
            buf.putShort(56, (short) (phnumInHeader != null ? phnumInHeader : phdrs.size()));
            buf.putShort(58, (short) 64);
            for (int i = 0; i < phdrs.size(); i++) {
                long[] p = phdrs.get(i);
                int at = (int) phoff + i * 56;
                buf.putInt(at, (int) p[0]);
                buf.putInt(at + 4, (int) p[1]);
                buf.putLong(at + 8, p[2]);
                buf.putLong(at + 16, p[3]);
                buf.putLong(at + 24, p[3]);
                buf.putLong(at + 32, p[4]);
                buf.putLong(at + 40, p[5]);
                buf.putLong(at + 48, p[6]);
            }
            for (Object[] c : contents) {
                buf.put((int) c[0], (byte[]) c[1]);
            }
            return buf.array();
        }
    }
}
