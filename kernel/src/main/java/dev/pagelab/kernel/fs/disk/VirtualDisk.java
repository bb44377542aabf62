package dev.pagelab.kernel.fs.disk;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A block device over an image file (Linux: a request queue and its driver, reduced to one disk).
 * Blocks are 1 KiB. A write is first <em>in flight</em> ({@link #submitWrite}, like submit_bh):
 * its data is copied, but nothing reaches the medium until {@link #complete} (the interrupt that
 * ends the request, end_buffer_async_write). {@link #read} always sees the medium, never an
 * in-flight write; {@link #crash} drops every in-flight write, as a power loss does.
 *
 * <p>Unlike Linux, there is no elevator and no merging: requests complete only when the caller
 * (the scheduler or a test) says so, in any order it chooses, which is what lets the race tests
 * place "the write hit the disk" at an exact point of an interleaving.
 *
 * <p>Out-of-range block numbers are kernel bugs (IllegalArgumentException). An IOException from
 * the host while the machine runs becomes an UncheckedIOException. All methods lock {@code this};
 * completion callbacks run after the lock is dropped.
 */
public final class VirtualDisk implements AutoCloseable {
    public static final int BLOCK_SIZE = 1024;
    /** The smallest image {@link #open} accepts, in blocks. */
    public static final int MIN_BLOCKS = 64;

    /**
     * One write request: {@code data} is the disk's own copy of the 1 KiB taken at submission.
     * The array belongs to the disk; callers must not modify it.
     */
    public record WriteRequest(long id, long block, byte[] data) {}

    /** Thrown by a write that the test hook {@link #crashAfterWrites} turned into a power loss. */
    static final class PowerFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PowerFailure(String message) {
            super(message, null, false, false);
        }
    }

    private final Path image; // immutable
    private final long blocks; // immutable
    private final boolean readOnly; // immutable
    private final FileChannel channel; // immutable reference; guarded by this
    private final Map<Long, WriteRequest> inFlight = new LinkedHashMap<>(); // guarded by this; submission order
    private final Map<Long, Runnable> onComplete = new LinkedHashMap<>(); // guarded by this; same keys
    private long nextId = 1; // guarded by this
    private long submitted, completed; // guarded by this
    private final Map<Long, Long> lastCompletedId = new java.util.HashMap<>(); // block -> id of the write on the medium; guarded by this
    private long writesUntilCrash = -1; // guarded by this; -1 = hook off (see crashAfterWrites)
    private boolean closed; // guarded by this

    private VirtualDisk(Path image, FileChannel channel, long blocks, boolean readOnly) {
        this.image = image;
        this.channel = channel;
        this.blocks = blocks;
        this.readOnly = readOnly;
    }

    /** Opens an existing image for reading and writing. */
    public static VirtualDisk open(Path image) throws IOException, DiskFormatException {
        long blocks = checkImage(image);
        return new VirtualDisk(image, FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE),
                blocks, false);
    }

    /** Opens an existing image that this disk never writes: every write is refused. */
    public static VirtualDisk openReadOnly(Path image) throws IOException, DiskFormatException {
        long blocks = checkImage(image);
        return new VirtualDisk(image, FileChannel.open(image, StandardOpenOption.READ), blocks, true);
    }

    /** Creates (or truncates) {@code image} as a zero-filled sparse file of {@code blocks} blocks. */
    public static VirtualDisk create(Path image, long blocks) throws IOException {
        if (blocks < MIN_BLOCKS || blocks > Long.MAX_VALUE / BLOCK_SIZE) {
            throw new IllegalArgumentException("VirtualDisk.create: " + blocks + " blocks; need at least "
                    + MIN_BLOCKS);
        }
        java.io.RandomAccessFile raf = new java.io.RandomAccessFile(image.toFile(), "rw");
        try {
            raf.setLength(0);
            raf.setLength(blocks * BLOCK_SIZE);
        } catch (IOException e) {
            raf.close();
            throw e;
        }
        FileChannel ch = raf.getChannel(); // closing the channel closes raf
        return new VirtualDisk(image, ch, blocks, false);
    }

    /** The image's size in blocks, after checking it can be a disk at all. */
    private static long checkImage(Path image) throws IOException, DiskFormatException {
        if (!Files.isRegularFile(image)) {
            if (!Files.exists(image)) {
                throw new java.nio.file.NoSuchFileException(image.toString(), null, "no such file");
            }
            throw new DiskFormatException("not a regular file");
        }
        long size = Files.size(image);
        if (size % BLOCK_SIZE != 0) {
            throw new DiskFormatException("image size " + size + " bytes is not a multiple of " + BLOCK_SIZE
                    + " (truncated?)");
        }
        if (size / BLOCK_SIZE < MIN_BLOCKS) {
            throw new DiskFormatException("image has " + size / BLOCK_SIZE + " blocks; a disk needs at least "
                    + MIN_BLOCKS);
        }
        return size / BLOCK_SIZE;
    }

    public Path image() {
        return image;
    }

    public long blocks() {
        return blocks;
    }

    public boolean readOnly() {
        return readOnly;
    }

    /** Reads {@code block} from the medium into dst[offset, offset+1024). In-flight writes are not seen. */
    public synchronized void read(long block, byte[] dst, int offset) {
        checkOpen("VirtualDisk.read");
        checkBlock("VirtualDisk.read", block);
        checkBuffer("VirtualDisk.read", dst, offset);
        ByteBuffer buf = ByteBuffer.wrap(dst, offset, BLOCK_SIZE);
        long pos = block * BLOCK_SIZE;
        try {
            while (buf.hasRemaining()) {
                int n = channel.read(buf, pos + buf.position() - offset);
                if (n < 0) {
                    throw new EOFException(image + ": image shrank under the disk (block " + block + ")");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Linux: submit_bh(WRITE). Copies src[offset, offset+1024) now; the request is in flight and the
     * medium is unchanged until {@link #complete}, which runs {@code onComplete} (may be null).
     */
    public synchronized WriteRequest submitWrite(long block, byte[] src, int offset, Runnable onComplete) {
        checkOpen("VirtualDisk.submitWrite");
        checkWritable("VirtualDisk.submitWrite");
        checkBlock("VirtualDisk.submitWrite", block);
        checkBuffer("VirtualDisk.submitWrite", src, offset);
        byte[] copy = java.util.Arrays.copyOfRange(src, offset, offset + BLOCK_SIZE);
        WriteRequest r = new WriteRequest(nextId++, block, copy);
        inFlight.put(r.id(), r);
        if (onComplete != null) {
            this.onComplete.put(r.id(), onComplete);
        }
        submitted++;
        return r;
    }

    /** Ends request {@code r}: its data reaches the medium, then its completion callback runs. */
    public void complete(WriteRequest r) {
        Runnable callback;
        synchronized (this) {
            checkOpen("VirtualDisk.complete");
            if (inFlight.get(r.id()) != r) {
                throw new IllegalArgumentException("VirtualDisk.complete: request " + r.id() + " is not in flight");
            }
            hitMediumLocked(r);
            lastCompletedId.put(r.block(), r.id());
            inFlight.remove(r.id());
            completed++;
            callback = onComplete.remove(r.id());
        }
        if (callback != null) {
            callback.run();
        }
    }

    /** The id the next submitted write will get (ids grow in submission order). */
    public synchronized long nextWriteId() {
        return nextId;
    }

    /** The id of the completed write whose data {@code block} holds now, or 0 if none this session. */
    public synchronized long lastCompletedWrite(long block) {
        return lastCompletedId.getOrDefault(block, 0L);
    }

    /** Every in-flight request, oldest first. */
    public synchronized List<WriteRequest> inFlight() {
        return List.copyOf(inFlight.values());
    }

    /** Completes every in-flight request in submission order (including ones submitted by callbacks). */
    public void completeAll() {
        while (true) {
            WriteRequest next;
            synchronized (this) {
                if (inFlight.isEmpty()) {
                    return;
                }
                next = inFlight.values().iterator().next();
            }
            complete(next);
        }
    }

    /** A synchronous write (metadata): submit and complete at once. */
    public void writeSync(long block, byte[] src, int offset) {
        complete(submitWrite(block, src, offset, null));
    }

    /** Power loss: every in-flight request is dropped unwritten; no callback runs. The disk stays usable. */
    public synchronized void crash() {
        inFlight.clear();
        onComplete.clear();
    }

    public synchronized long writesSubmitted() {
        return submitted;
    }

    public synchronized long writesCompleted() {
        return completed;
    }

    /**
     * Test hook: the next {@code n} completions reach the medium; the one after does not: the disk
     * {@link #crash}es and that {@link #complete} throws {@link PowerFailure}. Negative n turns it off.
     */
    synchronized void crashAfterWrites(long n) {
        writesUntilCrash = n < 0 ? -1 : n;
    }

    /** Closes the image. In-flight writes are not completed (the caller decides; they are lost). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        inFlight.clear();
        onComplete.clear();
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes r's data to the image, unless the crash hook fires. Caller holds this. */
    private void hitMediumLocked(WriteRequest r) {
        if (writesUntilCrash == 0) {
            writesUntilCrash = -1;
            crash();
            throw new PowerFailure("VirtualDisk: simulated power loss before request " + r.id() + " (block "
                    + r.block() + ")");
        }
        if (writesUntilCrash > 0) {
            writesUntilCrash--;
        }
        ByteBuffer buf = ByteBuffer.wrap(r.data());
        long pos = r.block() * BLOCK_SIZE;
        try {
            while (buf.hasRemaining()) {
                channel.write(buf, pos + buf.position());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void checkOpen(String fn) {
        if (closed) {
            throw new IllegalStateException(fn + ": disk " + image + " is closed");
        }
    }

    private void checkWritable(String fn) {
        if (readOnly) {
            throw new IllegalStateException(fn + ": disk " + image + " is open read-only");
        }
    }

    private void checkBlock(String fn, long block) {
        if (block < 0 || block >= blocks) {
            throw new IllegalArgumentException(fn + ": block " + block + " beyond " + blocks);
        }
    }

    private static void checkBuffer(String fn, byte[] buf, int offset) {
        if (offset < 0 || offset > buf.length - BLOCK_SIZE) {
            throw new IllegalArgumentException(fn + ": buffer of " + buf.length + " bytes has no block at offset "
                    + offset);
        }
    }
}
