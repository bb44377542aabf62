package dev.pagelab.cli;

/** A failure the user caused (bad input, missing file): reported as one line, exit status given. */
public class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int exitCode; // immutable

    public UserError(String message) {
        this(message, 2);
    }

    public UserError(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
