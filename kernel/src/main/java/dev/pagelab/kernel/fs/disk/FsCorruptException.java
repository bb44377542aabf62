package dev.pagelab.kernel.fs.disk;

/**
 * The image is not a consistent pagelab filesystem, found by {@link PagelabFs#mount}. The message
 * is one line ("superblock checksum mismatch", "inode 5 points at block 12345 beyond the disk").
 */
public final class FsCorruptException extends Exception {
    private static final long serialVersionUID = 1L;

    public FsCorruptException(String message) {
        super(message, null, false, false);
    }
}
