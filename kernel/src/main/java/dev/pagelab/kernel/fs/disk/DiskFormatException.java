package dev.pagelab.kernel.fs.disk;

/**
 * An image file that cannot be a {@link VirtualDisk} (size not a multiple of 1 KiB, fewer than
 * {@link VirtualDisk#MIN_BLOCKS} blocks). The message is one line naming the rule broken.
 */
public final class DiskFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public DiskFormatException(String message) {
        super(message, null, false, false);
    }
}
