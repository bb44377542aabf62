package dev.pagelab.gdb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One GDB Remote Serial Protocol connection: packet framing ({@code $data#cs}), checksums, acks,
 * binary escapes, and the out-of-band interrupt byte (Ctrl-C, 0x03).
 *
 * <p>A reader thread takes packets off the socket as they come, acknowledges each ({@code +}, or
 * {@code -} for a bad checksum), and queues them; an interrupt byte calls {@code onInterrupt}
 * right away, while the machine runs. Garbage between packets is skipped; an oversized packet is
 * dropped with a {@code -}. The machine's thread takes packets with {@link #next} and answers
 * with {@link #send}.
 */
final class RspConnection implements AutoCloseable {
    static final int MAX_PACKET = 16384;
    /** What {@link #next} returns when the connection is gone. */
    static final byte[] CLOSED = new byte[0];

    private final Socket socket; // owned
    private final InputStream in; // read by the reader thread only
    private final OutputStream out; // guarded by this
    private final BlockingQueue<byte[]> packets = new LinkedBlockingQueue<>(); // reader -> machine
    private final Runnable onInterrupt; // called on the reader thread
    private final Thread reader; // the reader thread
    private volatile boolean closed;

    RspConnection(Socket socket, Runnable onInterrupt) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.onInterrupt = onInterrupt;
        socket.setTcpNoDelay(true);
        this.reader = Thread.ofPlatform().daemon().name("gdb-rsp-reader").start(this::readLoop);
    }

    private void readLoop() {
        try {
            int c;
            while ((c = in.read()) >= 0) {
                if (c == 0x03) {
                    onInterrupt.run();
                } else if (c == '$') {
                    readPacket();
                }
                // '+' and '-' acks from gdb, and any other byte between packets, are skipped
            }
        } catch (IOException e) {
            // the connection is gone: the machine learns it from CLOSED
        } finally {
            closed = true;
            packets.add(CLOSED);
        }
    }

    /** After '$': data up to '#', two checksum digits; ack and queue, or nak. */
    private void readPacket() throws IOException {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        int sum = 0;
        int c;
        while ((c = in.read()) >= 0 && c != '#') {
            if (c == '$') { // a new packet starts: the previous one was cut off
                data.reset();
                sum = 0;
                continue;
            }
            if (data.size() >= MAX_PACKET) {
                ack('-');
                return;
            }
            sum += c;
            data.write(c);
        }
        int hi = in.read(), lo = in.read();
        if (c < 0 || hi < 0 || lo < 0) {
            return;
        }
        int given = hexDigit(hi) << 4 | hexDigit(lo);
        if (hexDigit(hi) < 0 || hexDigit(lo) < 0 || given != (sum & 0xff)) {
            ack('-');
            return;
        }
        ack('+');
        packets.add(unescape(data.toByteArray()));
    }

    private static byte[] unescape(byte[] raw) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(raw.length);
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == '}' && i + 1 < raw.length) {
                b.write(raw[++i] ^ 0x20);
            } else {
                b.write(raw[i]);
            }
        }
        return b.toByteArray();
    }

    static int hexDigit(int c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private synchronized void ack(char c) throws IOException {
        out.write(c);
        out.flush();
    }

    /** The next packet from gdb (waits), or {@link #CLOSED}. */
    byte[] next() {
        try {
            return packets.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CLOSED;
        }
    }

    boolean closed() {
        return closed;
    }

    /** Sends a packet of ASCII text. */
    void send(String text) {
        send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Sends a packet, escaping '#', '$', '}' and '*'. Errors close the connection. */
    synchronized void send(byte[] data) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(data.length + 8);
        b.write('$');
        int sum = 0;
        for (byte x : data) {
            if (x == '#' || x == '$' || x == '}' || x == '*') {
                b.write('}');
                sum += '}';
                x ^= 0x20;
            }
            b.write(x);
            sum += x & 0xff;
        }
        b.write('#');
        b.write(Character.forDigit((sum >> 4) & 0xf, 16));
        b.write(Character.forDigit(sum & 0xf, 16));
        try {
            out.write(b.toByteArray());
            out.flush();
        } catch (IOException e) {
            close();
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
