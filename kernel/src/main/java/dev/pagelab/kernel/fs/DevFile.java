package dev.pagelab.kernel.fs;

import dev.pagelab.kernel.Errno;
import java.util.Map;

/**
 * The memory character devices of /dev (Linux: drivers/char/mem.c): null, zero, full, and
 * random/urandom. Unlike Linux, random and urandom are deterministic (the same bytes on every
 * run, as getrandom), and /dev holds nothing else.
 */
public final class DevFile extends OpenFile {
    /** The devices by name, with their device numbers (major 1). */
    public static final Map<String, Integer> DEVICES = Map.of("null", 0x103, "zero", 0x105, "full", 0x107,
            "random", 0x108, "urandom", 0x109);

    private final String name; // immutable
    private long state = 0x2545_f491_4f6c_dd1dL; // xorshift state for random/urandom; guarded by the baton

    public DevFile(String name, int flags) {
        super(flags);
        if (!DEVICES.containsKey(name)) {
            throw new IllegalArgumentException("DevFile: no device " + name);
        }
        this.name = name;
    }

    public int rdev() {
        return DEVICES.get(name);
    }

    @Override
    public int read(byte[] buf, int off, int len) {
        switch (name) {
            case "null" -> {
                return 0;
            }
            case "zero", "full" -> java.util.Arrays.fill(buf, off, off + len, (byte) 0);
            default -> {
                for (int i = 0; i < len; i++) {
                    state ^= state << 13;
                    state ^= state >>> 7;
                    state ^= state << 17;
                    buf[off + i] = (byte) state;
                }
            }
        }
        return len;
    }

    @Override
    public int write(byte[] buf, int off, int len) {
        if (name.equals("full")) {
            throw new Errno(Errno.ENOSPC);
        }
        return len;
    }

    @Override
    public long lseek(long offset, int whence) {
        return 0;
    }

    @Override
    public int mode() {
        return Kstat.S_IFCHR | 0666;
    }
}
