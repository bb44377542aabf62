package dev.pagelab.emulator;

/** A libunicorn call failed: carries the {@code uc_err} code and {@code uc_strerror}'s text. */
public final class UnicornException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int code; // immutable

    public UnicornException(String operation, int code, String strerror) {
        super(operation + " failed: " + strerror + " (uc_err " + code + ")");
        this.code = code;
    }

    public UnicornException(String message) {
        super(message);
        this.code = -1;
    }

    /** The {@code uc_err} value, or -1 when the failure did not come from libunicorn. */
    public int code() {
        return code;
    }
}
