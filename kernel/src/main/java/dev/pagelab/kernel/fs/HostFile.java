package dev.pagelab.kernel.fs;

import dev.pagelab.emulator.PhysicalMemory;
import dev.pagelab.kernel.mm.FrameAllocator;
import dev.pagelab.kernel.mm.Page;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A read-only file from the host directory given with {@code --host-dir} (and the executable
 * itself). Its contents are read once into memory at open, so the guest sees a stable snapshot.
 */
public final class HostFile extends Inode {
    private final byte[] contents; // immutable snapshot

    public HostFile(long ino, String name, byte[] contents, FrameAllocator frames) {
        super(ino, name, frames);
        this.contents = contents;
    }

    /** Reads a host file (at most {@code maxBytes}). */
    public static HostFile open(long ino, Path path, FrameAllocator frames, long maxBytes) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > maxBytes) {
                throw new IOException(path + " is larger than " + maxBytes + " bytes");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) size);
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // keep reading
            }
            return new HostFile(ino, path.getFileName().toString(), buf.array(), frames);
        }
    }

    @Override
    public long size() {
        return contents.length;
    }

    @Override
    public void readPage(Page page) {
        long pos = page.index() << 12;
        int n = (int) Math.max(0, Math.min(PhysicalMemory.PAGE_SIZE, contents.length - pos));
        if (n > 0) {
            frames.memory().write(page.physicalAddress(), contents, (int) pos, n);
        }
    }

    @Override
    public boolean writable() {
        return false;
    }

    @Override
    public void setPageDirty(Page page) {
        throw new UncheckedIOException(new IOException("set_page_dirty: host file " + name() + " is read-only"));
    }

    @Override
    public void writePage(Page page, dev.pagelab.kernel.mm.WritebackControl wbc) {
        throw new IllegalStateException("writepage: host file " + name() + " is read-only and cannot be dirty");
    }

    @Override
    public MkwriteResult pageMkwrite(Page page) {
        return MkwriteResult.SIGBUS;
    }
}
