package dev.pagelab.emulator;

/**
 * An x86-64 page-table entry (any level), as the hardware sees it: an immutable value with pure
 * helpers named after Linux's {@code pte_*} functions. Bits: P RW US PWT PCD A D PS G ... NX, the
 * frame number in bits 12..51.
 */
public record Pte(long value) {
    public static final long P = 1L;
    public static final long RW = 1L << 1;
    public static final long US = 1L << 2;
    public static final long PWT = 1L << 3;
    public static final long PCD = 1L << 4;
    public static final long A = 1L << 5;
    public static final long D = 1L << 6;
    public static final long PS = 1L << 7;
    public static final long G = 1L << 8;
    public static final long NX = 1L << 63;
    public static final long FRAME_MASK = 0x000F_FFFF_FFFF_F000L;

    public static final Pte NONE = new Pte(0);

    /** {@code pfn_pte(frame, prot)}: an entry for {@code frame} with the flag bits {@code flags}. */
    public static Pte of(long frame, long flags) {
        return new Pte(((frame << PhysicalMemory.PAGE_SHIFT) & FRAME_MASK) | (flags & ~FRAME_MASK));
    }

    public boolean present() { return (value & P) != 0; }
    public boolean writable() { return (value & RW) != 0; }
    public boolean user() { return (value & US) != 0; }
    public boolean accessed() { return (value & A) != 0; }
    public boolean dirty() { return (value & D) != 0; }
    public boolean noExecute() { return (value & NX) != 0; }
    public boolean none() { return value == 0; }

    /** The physical frame number. */
    public long frame() {
        return (value & FRAME_MASK) >>> PhysicalMemory.PAGE_SHIFT;
    }

    /** The physical address of the frame. */
    public long physicalAddress() {
        return value & FRAME_MASK;
    }

    public Pte mkdirty() { return new Pte(value | D); }
    public Pte mkclean() { return new Pte(value & ~D); }
    public Pte mkyoung() { return new Pte(value | A); }
    public Pte mkold() { return new Pte(value & ~A); }
    public Pte mkwrite() { return new Pte(value | RW); }
    public Pte wrprotect() { return new Pte(value & ~RW); }

    /** "0x...063 [P RW US A D]"-style text for tools and error messages. */
    @Override
    public String toString() {
        return String.format("0x%016x [%s] frame 0x%x", value, flagNames(), frame());
    }

    /** The set bits by name, e.g. "P RW US A D". */
    public String flagNames() {
        StringBuilder s = new StringBuilder();
        append(s, P, "P");
        append(s, RW, "RW");
        append(s, US, "US");
        append(s, PWT, "PWT");
        append(s, PCD, "PCD");
        append(s, A, "A");
        append(s, D, "D");
        append(s, PS, "PS");
        append(s, G, "G");
        append(s, NX, "NX");
        return s.toString();
    }

    private void append(StringBuilder s, long bit, String name) {
        if ((value & bit) != 0) {
            if (!s.isEmpty()) {
                s.append(' ');
            }
            s.append(name);
        }
    }
}
