package dev.pagelab.trace;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * An append-only ASCII line buffer in front of an output stream: text is built in place (no
 * String.format, no char-to-byte encoding per line) and written in large chunks. The tail after a
 * mark can be taken back ({@link #truncate}) until it is written.
 */
final class AsciiOut {
    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int FLUSH_AT = 1 << 16;

    private final OutputStream out; // not owned
    private byte[] buf = new byte[FLUSH_AT * 2]; // grows for an oversized tail; confined to the tracer
    private int len; // bytes buffered

    AsciiOut(OutputStream out) {
        this.out = out;
    }

    int length() {
        return len;
    }

    void truncate(int mark) {
        len = mark;
    }

    /** The buffered text from {@code mark} to the end. */
    String since(int mark) {
        return new String(buf, mark, len - mark, java.nio.charset.StandardCharsets.US_ASCII);
    }

    private void room(int n) {
        if (len + n > buf.length) {
            buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
        }
    }

    AsciiOut str(String s) {
        int n = s.length();
        room(n);
        for (int i = 0; i < n; i++) {
            buf[len++] = (byte) s.charAt(i);
        }
        return this;
    }

    AsciiOut bytes(byte[] b) {
        room(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
        return this;
    }

    AsciiOut ch(char c) {
        room(1);
        buf[len++] = (byte) c;
        return this;
    }

    /** "0x" and lowercase hex digits without leading zeros (two's complement for negatives). */
    AsciiOut hex(long v) {
        room(18);
        buf[len++] = '0';
        buf[len++] = 'x';
        int digits = v == 0 ? 1 : 16 - Long.numberOfLeadingZeros(v) / 4;
        for (int i = digits - 1; i >= 0; i--) {
            buf[len++] = HEX[(int) (v >>> (4 * i)) & 0xf];
        }
        return this;
    }

    /** Two hex digits. */
    AsciiOut hexByte(int b) {
        room(2);
        buf[len++] = HEX[(b >>> 4) & 0xf];
        buf[len++] = HEX[b & 0xf];
        return this;
    }

    AsciiOut dec(long v) {
        if (v < 0) {
            if (v == Long.MIN_VALUE) {
                return str(Long.toString(v));
            }
            ch('-');
            v = -v;
        }
        room(20);
        int start = len;
        do {
            buf[len++] = (byte) ('0' + v % 10);
            v /= 10;
        } while (v != 0);
        for (int i = start, j = len - 1; i < j; i++, j--) {
            byte t = buf[i];
            buf[i] = buf[j];
            buf[j] = t;
        }
        return this;
    }

    /** Pads with spaces from {@code mark} to column {@code width}. */
    AsciiOut padTo(int mark, int width) {
        while (len - mark < width) {
            ch(' ');
        }
        return this;
    }

    /** A JSON string literal of ASCII text (quotes and backslashes escaped). */
    AsciiOut json(String s) {
        ch('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                ch('\\');
            }
            ch(c < 0x20 || c > 0x7e ? '?' : c);
        }
        return ch('"');
    }

    /** Writes everything before {@code mark} if enough has gathered; keeps the rest. */
    void flushBefore(int mark) {
        if (mark >= FLUSH_AT) {
            write(mark);
        }
    }

    void flush() {
        write(len);
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("trace output: " + e.getMessage(), e);
        }
    }

    private void write(int upTo) {
        try {
            out.write(buf, 0, upTo);
        } catch (IOException e) {
            throw new UncheckedIOException("trace output: " + e.getMessage(), e);
        }
        System.arraycopy(buf, upTo, buf, 0, len - upTo);
        len -= upTo;
    }
}
