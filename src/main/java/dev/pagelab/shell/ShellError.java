package dev.pagelab.shell;

/** A command that cannot be done: the shell prints its message as one line and goes on. */
final class ShellError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ShellError(String message) {
        super(message, null, false, false);
    }
}
