package dev.pagelab.kernel;

/** The machine cannot start (for example, a corrupt disk image): a one-line, user-facing reason. */
public final class BootException extends Exception {
    private static final long serialVersionUID = 1L;

    public BootException(String message) {
        super(message);
    }
}
