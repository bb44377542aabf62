package dev.pagelab.kernel.proc;

/**
 * An executable could not be accepted: the file is not an ELF64 x86-64 static executable, or its
 * headers are malformed. Where Linux's {@code load_elf_binary()} would fail {@code execve} with
 * {@code ENOEXEC} (or {@code EINVAL}), {@link ElfFile#parse} throws this instead.
 *
 * <p>The message is one line meant for the user, e.g. {@code "not an ELF file (bad magic)"} or
 * {@code "PT_LOAD segment 1: p_filesz 8192 > p_memsz 4096"}.
 */
public final class ElfException extends Exception {
    private static final long serialVersionUID = 1L;

    public ElfException(String message) {
        super(message);
    }
}
