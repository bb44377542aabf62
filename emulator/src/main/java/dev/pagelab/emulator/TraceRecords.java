package dev.pagelab.emulator;

/**
 * What a traced {@link Vcpu} records: batches of fixed-size records made of 64-bit words, handed
 * to a {@link Sink} during {@link Vcpu#run} (when the native buffer fills, and before {@code run}
 * returns), in execution order.
 *
 * <p>Word 0 of every record is its header: {@link #kind}, {@link #size} and {@link #index} (the
 * instruction's position among the instructions this run began, 0-based, counting every address,
 * not only the traced range). An instruction record ({@link #INSN_WORDS} words) holds the header,
 * RIP, RIP's physical address ({@link #NO_PHYSICAL} when unmapped) and up to 15 instruction bytes
 * in words 3 and 4 (little-endian). A memory record ({@link #MEM_WORDS} words) follows the
 * instruction that made the access: header, virtual address, physical address, value.
 *
 * <p>A memory record's physical address is the one the access used (libunicorn's memory hooks
 * report it, even through a stale TLB entry); its virtual address is the page the current page
 * tables map to that frame ({@code -1} when none does: a stale TLB entry). An instruction's
 * physical address comes from a walk of the current page tables. The last instruction of a run that ended in a data page
 * fault or a CPU exception was begun but did not retire (the {@link VmExit} says so).
 */
public final class TraceRecords {
    public static final int INSN = 1, READ = 2, WRITE = 3;
    public static final int INSN_WORDS = 5, MEM_WORDS = 4;
    public static final long NO_PHYSICAL = -1L;

    /** Receives the records of one CPU; the array is reused after the call returns. */
    @FunctionalInterface
    public interface Sink {
        void records(int cpu, long[] words, int length);
    }

    /**
     * What to trace: instructions with {@code lo <= rip <= hi} (every instruction still counts
     * for {@link #index}), and with {@code memory} every data read and write as well.
     */
    public record Options(Sink sink, long lo, long hi, boolean memory) {
        public Options {
            if (sink == null) {
                throw new IllegalArgumentException("TraceRecords.Options: no sink");
            }
        }
    }

    private TraceRecords() {}

    public static int kind(long header) {
        return (int) (header >>> 56);
    }

    /** Instruction length, or the access size in bytes. */
    public static int size(long header) {
        return (int) (header >>> 48) & 0xff;
    }

    public static long index(long header) {
        return header & 0xffff_ffff_ffffL;
    }

    /** The record's length in words. */
    public static int words(long header) {
        return kind(header) == INSN ? INSN_WORDS : MEM_WORDS;
    }
}
