package dev.pagelab.emulator;

import java.util.function.LongSupplier;

/**
 * x86-64 4-level paging in software: index helpers, a page walk that reads the same tables the
 * emulated CPU walks (for the kernel and the shell's {@code pt} command), and a small mapper for
 * the emulator's own tests and tools. The walk never sets A/D bits: only the CPU does that.
 */
public final class X86Paging {
    private X86Paging() {}

    public static final int LEVELS = 4;
    public static final int ENTRIES = 512;
    /** Level names, root first: PML4, PDPT, PD, PT (Linux: pgd, pud, pmd, pte). */
    public static final String[] LEVEL_NAMES = {"PML4", "PDPT", "PD", "PT"};

    /** Index of {@code vaddr} in the table at {@code level} (0 = PML4 ... 3 = PT). */
    public static int index(long vaddr, int level) {
        int shift = 39 - 9 * level;
        return (int) ((vaddr >>> shift) & 0x1ff);
    }

    /** True if {@code vaddr} is canonical (bits 63..47 all equal). */
    public static boolean canonical(long vaddr) {
        return (vaddr >> 47) == 0 || (vaddr >> 47) == -1;
    }

    /**
     * The result of a software walk. {@code entries[i]} and {@code entryAddresses[i]} are valid for
     * {@code i < depth}; the walk stops at the first non-present entry or at a large page.
     */
    public record Walk(long vaddr, long[] entries, long[] entryAddresses, int depth, long physicalAddress) {
        /** True if the walk reached a present leaf. */
        public boolean mapped() {
            return physicalAddress >= 0;
        }

        /** The leaf entry (PTE, or a large-page PD/PDPT entry) or the first non-present one. */
        public Pte leaf() {
            return new Pte(entries[depth - 1]);
        }

        /** The physical address of the leaf entry itself. */
        public long leafAddress() {
            return entryAddresses[depth - 1];
        }
    }

    /** Walks {@code vaddr} through the tables rooted at physical {@code cr3}. */
    public static Walk walk(PhysicalMemory memory, long cr3, long vaddr) {
        long[] entries = new long[LEVELS];
        long[] addresses = new long[LEVELS];
        long table = cr3 & Pte.FRAME_MASK;
        for (int level = 0; level < LEVELS; level++) {
            long entryAddress = table + 8L * index(vaddr, level);
            long entry = memory.readLongVolatile(entryAddress);
            entries[level] = entry;
            addresses[level] = entryAddress;
            if ((entry & Pte.P) == 0) {
                return new Walk(vaddr, entries, addresses, level + 1, -1);
            }
            if (level == 1 || level == 2) {
                if ((entry & Pte.PS) != 0) {
                    long pageMask = level == 1 ? (1L << 30) - 1 : (1L << 21) - 1;
                    long base = entry & Pte.FRAME_MASK & ~pageMask;
                    return new Walk(vaddr, entries, addresses, level + 1, base | (vaddr & pageMask));
                }
            }
            table = entry & Pte.FRAME_MASK;
        }
        return new Walk(vaddr, entries, addresses, LEVELS, (entries[3] & Pte.FRAME_MASK) | (vaddr & 0xfff));
    }

    /**
     * Returns the physical address of the PTE for {@code vaddr}, creating missing intermediate
     * tables with frames from {@code newTable} (which must return zeroed frame numbers). Upper
     * levels get P|RW|US so that the leaf alone decides the page's protection, as in Linux.
     */
    public static long pteAddress(PhysicalMemory memory, long cr3, long vaddr, LongSupplier newTable) {
        long table = cr3 & Pte.FRAME_MASK;
        for (int level = 0; level < LEVELS - 1; level++) {
            long entryAddress = table + 8L * index(vaddr, level);
            long entry = memory.readLongVolatile(entryAddress);
            if ((entry & Pte.P) == 0) {
                long frame = newTable.getAsLong();
                entry = Pte.of(frame, Pte.P | Pte.RW | Pte.US).value();
                memory.writeLongVolatile(entryAddress, entry);
            } else if ((entry & Pte.PS) != 0) {
                throw new IllegalStateException(String.format("pteAddress: 0x%x is inside a large page", vaddr));
            }
            table = entry & Pte.FRAME_MASK;
        }
        return table + 8L * index(vaddr, LEVELS - 1);
    }

    /** Maps one 4 KiB page: {@code vaddr -> frame} with {@code flags}, creating tables as needed. */
    public static void map(PhysicalMemory memory, long cr3, long vaddr, long frame, long flags, LongSupplier newTable) {
        long pte = pteAddress(memory, cr3, vaddr, newTable);
        memory.writeLongVolatile(pte, Pte.of(frame, flags).value());
    }
}
