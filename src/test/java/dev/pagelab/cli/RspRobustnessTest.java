package dev.pagelab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gdb stub against a raw RSP client: malformed packets, random bytes, a second client, Ctrl-C. */
class RspRobustnessTest {
    @TempDir
    Path dir;

    /** A minimal RSP client: sends packets, reads replies (skipping acks). */
    static final class Client implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;

        Client(int port) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setSoTimeout(60_000);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        void raw(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        void send(String data) throws IOException {
            int sum = 0;
            for (byte b : data.getBytes(StandardCharsets.ISO_8859_1)) {
                sum += b & 0xff;
            }
            raw(String.format("$%s#%02x", data, sum & 0xff).getBytes(StandardCharsets.ISO_8859_1));
        }

        /** The next reply packet's data (acks before it skipped; a '-' nak returned as "-"). */
        String reply() throws IOException {
            int c;
            while ((c = in.read()) != '$') {
                if (c < 0) {
                    throw new IOException("connection closed");
                }
                if (c == '-') {
                    return "-";
                }
            }
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            while ((c = in.read()) != '#') {
                if (c < 0) {
                    throw new IOException("connection closed in a packet");
                }
                b.write(c);
            }
            in.read();
            in.read();
            raw(new byte[] {'+'});
            return b.toString(StandardCharsets.ISO_8859_1);
        }

        String ask(String data) throws IOException {
            send(data);
            return reply();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void malformedPacketsAndRandomBytesGetErrorsAndTheStubKeepsAnswering() throws Exception {
        try (GdbSession s = new GdbSession(dir, "hello"); Client c = new Client(s.port)) {
            String stop = c.ask("?");
            assertTrue(stop.matches("T05thread:1;"), stop);
            for (String bad : List.of("m", "mzz,4", "m0,", "m401000", "g12", "Gxyz", "G0", "p", "pzz", "p999", "P1=",
                    "P1=zz", "P10=00", "Z0", "Z0,zz,1", "Z9,0,0", "z0", "Hg", "Hgzz", "Hx1", "qXfer:features:read:target.xml:zz",
                    "qXfer:features:read:other.xml:0,10", "qXfer:features:read:target.xml:-5,10", "vCont;q", "vCont;",
                    "vCont;s:99", "M0,4:zz", "M401000,2:00", "X401000,4:", "qThreadExtraInfo,zz", "T", "Tzz", "x0,",
                    "m0,ffffffff", "mffffffffffffffff,10", "qSupportedx", "\u00ff\u00fe")) {
                String r = c.ask(bad);
                assertTrue(r.isEmpty() || r.startsWith("E") || r.equals("OK") || r.startsWith("l") || r.startsWith("m"),
                        bad + " -> " + r);
                assertTrue(!r.startsWith("T") && !r.startsWith("W") && !r.startsWith("X"), "the machine did not move: "
                        + bad + " -> " + r);
            }
            // A bad checksum gets a nak; an oversized packet too; neither kills the stub.
            c.raw("$g#00".getBytes(StandardCharsets.ISO_8859_1));
            assertEquals("-", c.reply());
            c.raw(("$" + "m".repeat(20_000) + "#00").getBytes(StandardCharsets.ISO_8859_1));
            assertEquals("-", c.reply());
            // Random bytes (without '$' or Ctrl-C: no packet can start), then a question.
            Random random = new Random(20091122);
            byte[] noise = new byte[50_000];
            random.nextBytes(noise);
            for (int i = 0; i < noise.length; i++) {
                if (noise[i] == '$' || noise[i] == 3 || noise[i] == '-' ) {
                    noise[i] = 'x';
                }
            }
            c.raw(noise);
            assertEquals(stop, c.ask("?"), "still answering after random bytes");
            // Random packets: well-formed frames with random contents get an answer each.
            for (int i = 0; i < 200; i++) {
                byte[] body = new byte[1 + random.nextInt(40)];
                random.nextBytes(body);
                StringBuilder b = new StringBuilder();
                for (byte x : body) {
                    char ch = (char) (x & 0x7f);
                    // keep the framing, and keep out the commands that resume, kill or detach the machine
                    b.append(ch == '$' || ch == '#' || ch == '}' || ch == '*' || ch == 3 ? '.' : ch);
                }
                String body0 = b.toString();
                if ("cCsSkDv".indexOf(body0.charAt(0)) >= 0) {
                    body0 = "?" + body0;
                }
                String r = c.ask(body0);
                assertTrue(!r.startsWith("W") && !r.startsWith("X"), body0 + " -> " + r);
            }
            assertEquals(stop, c.ask("?"));
            // A register written with P reads back with p and g (and is restored).
            String rdx = c.ask("p3");
            assertEquals("OK", c.ask("P3=efbeadde00000000"));
            assertEquals("efbeadde00000000", c.ask("p3"));
            assertEquals("efbeadde00000000", c.ask("g").substring(3 * 16, 4 * 16));
            assertEquals("OK", c.ask("P3=" + rdx));
            // The registers and the target description still come back whole.
            assertEquals(2 * (17 * 8 + 7 * 4 + 8 * 10 + 8 * 4 + 16 * 16 + 4 + 3 * 8), c.ask("g").length());
            assertTrue(c.ask("qXfer:features:read:target.xml:0,3fff").startsWith("l<?xml"));
            c.send("k");
            assertEquals(137, s.exit(), s.stderr());
            assertTrue(s.stdout().isEmpty(), "killed before its first instruction: " + s.stdout());
        }
    }

    @Test
    void aSecondConnectionIsRefusedAndCtrlCStopsARunningMachine() throws Exception {
        try (GdbSession s = new GdbSession(dir, "compute", "300"); Client c = new Client(s.port)) {
            assertTrue(c.ask("?").startsWith("T05"));
            try (Socket second = new Socket(InetAddress.getLoopbackAddress(), s.port)) {
                second.setSoTimeout(30_000);
                assertEquals(-1, second.getInputStream().read(), "the second connection is closed at once");
            }
            assertTrue(c.ask("?").startsWith("T05"), "the first connection still works");
            c.send("c");
            Thread.sleep(300);
            c.raw(new byte[] {3});
            String stop = c.reply();
            assertTrue(stop.startsWith("T02thread:1;"), stop);
            String rip = c.ask("p10");
            assertEquals(16, rip.length(), rip);
            assertTrue(Long.reverseBytes(Long.parseUnsignedLong(rip, 16)) >= 0x401000L, rip);
            assertEquals("OK", c.ask("D"));
            assertEquals(0, s.exit(), s.stderr());
            assertTrue(s.stdout().startsWith("compute: 300 rounds"), s.stdout());
            assertTrue(s.stderr().contains("refused a second connection"), s.stderr());
        }
    }
}
