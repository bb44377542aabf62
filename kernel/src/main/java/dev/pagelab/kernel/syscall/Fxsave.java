package dev.pagelab.kernel.syscall;

import dev.pagelab.emulator.UserState;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The 512-byte FXSAVE image (Linux: struct fxregs_state, what a signal frame's fpstate points
 * to) to and from the x87/SSE part of a {@link UserState}. FXSAVE lists the x87 registers as
 * the stack ST(0)-ST(7) and abridges the tag word to one bit per register; the user state holds
 * the physical R0-R7 and the full tag word.
 */
final class Fxsave {
    private Fxsave() {}

    static final int SIZE = 512;
    private static final int MXCSR_MASK = 0xffff;

    static byte[] fromState(long[] s) {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        int top = (int) (s[UserState.FSW] >> 11) & 7;
        int abridged = 0;
        for (int r = 0; r < 8; r++) {
            if (((s[UserState.FTW] >> (2 * r)) & 3) != 3) {
                abridged |= 1 << r;
            }
        }
        b.putShort(0, (short) s[UserState.FCW]).putShort(2, (short) s[UserState.FSW]).put(4, (byte) abridged);
        b.putShort(6, (short) s[UserState.FOP]).putLong(8, s[UserState.FIP]).putLong(16, s[UserState.FDP]);
        b.putInt(24, (int) s[UserState.MXCSR]).putInt(28, MXCSR_MASK);
        for (int i = 0; i < 8; i++) {
            int r = (top + i) & 7;
            b.putLong(32 + 16 * i, s[UserState.R0 + 2 * r]).putShort(40 + 16 * i, (short) s[UserState.R0 + 2 * r + 1]);
        }
        for (int i = 0; i < 32; i++) {
            b.putLong(160 + 8 * i, s[UserState.XMM0 + i]);
        }
        return b.array();
    }

    /** Loads an FXSAVE image into {@code s}; reserved MXCSR bits are dropped, as FXRSTOR would #GP. */
    static void intoState(byte[] image, long[] s) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        s[UserState.FCW] = b.getShort(0) & 0xffff;
        s[UserState.FSW] = b.getShort(2) & 0xffff;
        int abridged = b.get(4) & 0xff;
        long ftw = 0;
        for (int r = 0; r < 8; r++) {
            ftw |= ((abridged >> r) & 1) == 0 ? 3L << (2 * r) : 0;
        }
        s[UserState.FTW] = ftw;
        s[UserState.FOP] = b.getShort(6) & 0xffff;
        s[UserState.FIP] = b.getLong(8);
        s[UserState.FDP] = b.getLong(16);
        s[UserState.MXCSR] = b.getInt(24) & MXCSR_MASK;
        int top = (int) (s[UserState.FSW] >> 11) & 7;
        for (int i = 0; i < 8; i++) {
            int r = (top + i) & 7;
            s[UserState.R0 + 2 * r] = b.getLong(32 + 16 * i);
            s[UserState.R0 + 2 * r + 1] = b.getShort(40 + 16 * i) & 0xffff;
        }
        for (int i = 0; i < 32; i++) {
            s[UserState.XMM0 + i] = b.getLong(160 + 8 * i);
        }
    }
}
