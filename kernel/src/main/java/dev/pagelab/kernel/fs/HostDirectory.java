package dev.pagelab.kernel.fs;

import dev.pagelab.kernel.Errno;
import dev.pagelab.kernel.mm.FrameAllocator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The read-only host directory a guest's file names resolve in ({@code --host-dir}): "/a/b" and
 * "a/b" both name DIR/a/b; names that would leave DIR ("..") do not resolve. The same host file
 * opened twice is the same inode (one page cache).
 */
public final class HostDirectory {
    private static final long MAX_FILE = 64L << 20;

    private final Path root; // immutable, may be null (no directory: every open is ENOENT)
    private final FrameAllocator frames; // immutable reference
    private final Map<Path, HostFile> inodes = new HashMap<>(); // guarded by the baton
    private long nextIno = 2;

    public HostDirectory(Path root, FrameAllocator frames) {
        this.root = root == null ? null : root.toAbsolutePath().normalize();
        this.frames = frames;
    }

    /** Opens {@code name} with open(2) {@code flags}; only reading is possible. */
    public OpenFile open(String name, int flags) {
        if ((flags & OpenFile.O_ACCMODE) != OpenFile.O_RDONLY || (flags & (OpenFile.O_CREAT | OpenFile.O_TRUNC)) != 0) {
            Path p = resolveOrNull(name);
            throw new Errno(p != null && Files.isRegularFile(p) || (flags & OpenFile.O_CREAT) != 0
                    ? Errno.EROFS : Errno.ENOENT);
        }
        Path p = resolveOrNull(name);
        if (p == null || !Files.exists(p)) {
            throw new Errno(Errno.ENOENT);
        }
        if (Files.isDirectory(p)) {
            throw new Errno(Errno.EISDIR);
        }
        return new RegularFile(inode(p), flags);
    }

    /** True if {@code name} names an existing host file. */
    public boolean has(String name) {
        Path p = resolveOrNull(name);
        return p != null && Files.isRegularFile(p);
    }

    /** True if {@code name} names an existing host directory. */
    public boolean isDirectory(String name) {
        Path p = resolveOrNull(name);
        return p != null && Files.isDirectory(p);
    }

    /** Loads a host file as an inode (also used for the executable). */
    public HostFile inode(Path p) {
        HostFile f = inodes.get(p);
        if (f == null) {
            try {
                f = HostFile.open(nextIno++, p, frames, MAX_FILE);
            } catch (IOException e) {
                throw new Errno(Errno.EIO);
            }
            inodes.put(p, f);
        }
        return f;
    }

    /** Empties every host file's page cache (files must no longer be mapped). */
    public void dropCaches() {
        for (HostFile f : inodes.values()) {
            f.mapping().truncateAll();
        }
    }

    private Path resolveOrNull(String name) {
        if (root == null || name.isEmpty()) {
            return null;
        }
        Path p = root.resolve(name.startsWith("/") ? name.substring(1) : name).normalize();
        return p.startsWith(root) ? p : null;
    }
}
