package dev.pagelab.trace;

import dev.pagelab.emulator.Capstone;
import java.nio.charset.StandardCharsets;

/**
 * Capstone's text for the instructions a trace sees, cached per RIP: a direct-mapped table whose
 * entries are checked against the instruction bytes, so code that changes under the same address
 * (another program, rewritten code) is decoded again. Confined to the tracer's thread.
 */
final class Disassembly implements AutoCloseable {
    private static final int SLOTS = 1 << 16;

    /** One decoded instruction: its bytes (as words 3 and 4 of a record) and its text. */
    record Entry(long rip, long bytes0, long bytes1, int size, String hexBytes, String text, byte[] textAscii,
                 byte[] hexAscii) {}

    private final Capstone capstone; // owned
    private final Entry[] slots = new Entry[SLOTS]; // the cache
    private final byte[] scratch = new byte[16];
    private long decoded, hits; // statistics for the bench

    Disassembly(Capstone.Syntax syntax) {
        this.capstone = new Capstone(syntax);
    }

    /** The instruction at {@code rip} of {@code size} bytes held little-endian in two words. */
    Entry at(long rip, int size, long bytes0, long bytes1) {
        int slot = (int) ((rip ^ (rip >>> 16)) * 0x9E3779B1L >>> 16) & (SLOTS - 1);
        Entry e = slots[slot];
        if (e != null && e.rip == rip && e.size == size && e.bytes0 == bytes0 && e.bytes1 == bytes1) {
            hits++;
            return e;
        }
        e = decode(rip, size, bytes0, bytes1);
        slots[slot] = e;
        return e;
    }

    private Entry decode(long rip, int size, long bytes0, long bytes1) {
        decoded++;
        for (int i = 0; i < 16; i++) {
            scratch[i] = (byte) ((i < 8 ? bytes0 >>> (8 * i) : bytes1 >>> (8 * (i - 8))) & 0xff);
        }
        Capstone.Insn insn = capstone.disassemble(scratch, size, rip);
        // The CPU reports 15 bytes for an instruction it could not decode (ud2): show what capstone decoded.
        int shown = insn != null ? Math.min(insn.size(), size) : size;
        StringBuilder hex = new StringBuilder(shown * 3);
        for (int i = 0; i < shown; i++) {
            if (i > 0) {
                hex.append(' ');
            }
            hex.append(Character.forDigit((scratch[i] >>> 4) & 0xf, 16)).append(Character.forDigit(scratch[i] & 0xf, 16));
        }
        String text = insn == null ? "(bad)" : insn.text();
        String h = hex.toString();
        return new Entry(rip, bytes0, bytes1, size, h, text, text.getBytes(StandardCharsets.US_ASCII),
                h.getBytes(StandardCharsets.US_ASCII));
    }

    long decoded() {
        return decoded;
    }

    long hits() {
        return hits;
    }

    @Override
    public void close() {
        capstone.close();
    }
}
