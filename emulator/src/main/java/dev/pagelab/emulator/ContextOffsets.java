package dev.pagelab.emulator;

/**
 * Where two fields of QEMU's {@code CPUX86State} sit inside a saved {@code uc_context}, found by
 * {@link Calibration} at start-up (they move between libunicorn builds, so they are never
 * hard-coded).
 *
 * @param oldException offset of the int32 {@code old_exception}: reset to -1 after each swallowed
 *                     exception, or the next #PF is escalated to a double fault
 * @param errorCode    offset of the int32 {@code error_code}: the hardware error code of a #PF
 */
public record ContextOffsets(int oldException, int errorCode) {}
