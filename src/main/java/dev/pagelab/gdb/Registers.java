package dev.pagelab.gdb;

import dev.pagelab.emulator.Register;

/**
 * The register file as gdb numbers it ({@link TargetDescription}): 0-15 the general registers in
 * gdb's order (which is {@link Register#USER_STATE}'s), 16 rip, 17 eflags, 18-23 the segment
 * selectors, 24-39 the x87 state, 40-55 xmm0-15, 56 mxcsr, 57 orig_rax, 58 fs_base, 59 gs_base.
 *
 * <p>Unlike Linux's ptrace, only the user state the kernel saves is real (general registers,
 * rip, rflags, fs_base, gs_base); the selectors read as Linux user mode's (cs 0x33, ss 0x2b, the
 * rest 0), the x87 and SSE registers as their reset values, and writes to them are ignored.
 */
final class Registers {
    static final int COUNT = 60;
    static final int RIP = 16, EFLAGS = 17, FS_BASE = 58, GS_BASE = 59;

    private Registers() {}

    /** Size in bytes of register {@code n}. */
    static int size(int n) {
        if (n < 0 || n >= COUNT) {
            throw new IllegalArgumentException("no register " + n);
        }
        if (n <= RIP || n >= 57) {
            return 8;
        }
        if (n >= 24 && n <= 31) {
            return 10;
        }
        if (n >= 40 && n <= 55) {
            return 16;
        }
        return 4;
    }

    /** Register {@code n}'s value from a user state (low 64 bits; wider ones are zero above). */
    static long value(long[] state, int n) {
        if (n < 16) {
            return state[n];
        }
        return switch (n) {
            case RIP -> state[16];
            case EFLAGS -> state[17];
            case 18 -> 0x33; // cs
            case 19 -> 0x2b; // ss
            case 32 -> 0x37f; // fctrl after finit
            case 34 -> 0xffff; // ftag: all empty (the full-tag form)
            case 56 -> 0x1f80; // mxcsr reset value
            case 57 -> -1L; // orig_rax: not in a system call
            case FS_BASE -> state[18];
            case GS_BASE -> state[19];
            default -> 0;
        };
    }

    /** Writes {@code value} into a user state if register {@code n} is part of it; reports whether it was. */
    static boolean set(long[] state, int n, long value) {
        int i = n < 16 ? n : switch (n) {
            case RIP -> 16;
            case EFLAGS -> 17;
            case FS_BASE -> 18;
            case GS_BASE -> 19;
            default -> -1;
        };
        if (i < 0) {
            return false;
        }
        state[i] = n == EFLAGS ? value & 0xffff_ffffL : value;
        return true;
    }

    /** Appends register {@code n} as little-endian hex. */
    static void hex(StringBuilder b, long[] state, int n) {
        long v = value(state, n);
        int size = size(n);
        for (int i = 0; i < size; i++) {
            int byteValue = i < 8 ? (int) (v >>> (8 * i)) & 0xff : 0;
            b.append(Character.forDigit(byteValue >> 4, 16)).append(Character.forDigit(byteValue & 0xf, 16));
        }
    }

    /** Reads little-endian hex of register {@code n}'s size at {@code pos}; the low 64 bits. */
    static long parse(String hex, int pos, int n) {
        int size = size(n);
        if (pos + 2 * size > hex.length()) {
            throw new IllegalArgumentException("register data too short");
        }
        long v = 0;
        for (int i = 0; i < Math.min(size, 8); i++) {
            int hi = RspConnection.hexDigit(hex.charAt(pos + 2 * i)), lo = RspConnection.hexDigit(hex.charAt(pos + 2 * i + 1));
            if (hi < 0 || lo < 0) {
                throw new IllegalArgumentException("bad hex in register data");
            }
            v |= (long) (hi << 4 | lo) << (8 * i);
        }
        for (int i = 0; i < 2 * size; i++) {
            if (RspConnection.hexDigit(hex.charAt(pos + i)) < 0) {
                throw new IllegalArgumentException("bad hex in register data");
            }
        }
        return v;
    }
}
