package dev.pagelab.shell;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The function and object symbols of a static x86-64 ELF file (its {@code .symtab}), for
 * breakpoints by name and for showing addresses as {@code <main+12>}. A file without a symbol
 * table (stripped) has none; a malformed one is treated the same.
 */
final class ElfSymbols {
    private static final int SHT_SYMTAB = 2;
    private static final int STT_OBJECT = 1, STT_FUNC = 2;

    private final Map<String, Long> byName = new TreeMap<>(); // immutable after construction
    private final TreeMap<Long, String> byAddress = new TreeMap<>(); // immutable after construction
    private final Map<Long, Long> sizes = new TreeMap<>(); // address -> size; immutable after construction

    static final ElfSymbols NONE = new ElfSymbols();

    private ElfSymbols() {}

    /** Reads the symbols of {@code elf}; NONE when it has no readable symbol table. */
    static ElfSymbols read(Path elf) {
        ElfSymbols s = new ElfSymbols();
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(elf)).order(ByteOrder.LITTLE_ENDIAN);
            s.parse(b);
        } catch (IOException | RuntimeException e) {
            return NONE;
        }
        return s;
    }

    private void parse(ByteBuffer b) {
        long shoff = b.getLong(0x28);
        int shentsize = Short.toUnsignedInt(b.getShort(0x3A));
        int shnum = Short.toUnsignedInt(b.getShort(0x3C));
        for (int i = 0; i < shnum; i++) {
            int sh = (int) (shoff + (long) i * shentsize);
            if (b.getInt(sh + 4) == SHT_SYMTAB) {
                int link = b.getInt(sh + 0x28);
                int strtab = (int) b.getLong((int) (shoff + (long) link * shentsize) + 0x18);
                readTable(b, (int) b.getLong(sh + 0x18), b.getLong(sh + 0x20), (int) b.getLong(sh + 0x38), strtab);
            }
        }
    }

    private void readTable(ByteBuffer b, int offset, long size, int entsize, int strtab) {
        for (long at = offset; at + entsize <= offset + size; at += entsize) {
            int e = (int) at;
            int type = b.get(e + 4) & 0xf;
            long value = b.getLong(e + 8);
            if ((type == STT_FUNC || type == STT_OBJECT) && value != 0) {
                String name = cString(b, strtab + b.getInt(e));
                if (!name.isEmpty()) {
                    byName.putIfAbsent(name, value);
                    byAddress.putIfAbsent(value, name);
                    sizes.putIfAbsent(value, b.getLong(e + 16));
                }
            }
        }
    }

    private static String cString(ByteBuffer b, int at) {
        StringBuilder s = new StringBuilder();
        for (int i = at; b.get(i) != 0; i++) {
            s.append((char) b.get(i));
        }
        return s.toString();
    }

    /** The address of {@code name}, or null. */
    Long address(String name) {
        return byName.get(name);
    }

    Iterable<String> names() {
        return byName.keySet();
    }

    /** " <main+12>" for an address inside a known symbol, else "". */
    String describe(long address) {
        Map.Entry<Long, String> e = byAddress.floorEntry(address);
        if (e == null) {
            return "";
        }
        long off = address - e.getKey();
        long size = sizes.getOrDefault(e.getKey(), 0L);
        if (off != 0 && off >= Math.max(size, 1)) {
            return "";
        }
        return " <" + e.getValue() + (off == 0 ? "" : "+" + off) + ">";
    }
}
