package dev.pagelab.kernel.mm;

/**
 * What the mm needs from a file to map it (Linux: the vm_operations_struct and the
 * address_space of a file): its page cache and its size. Implemented by the filesystem layer.
 */
public interface MappedFile {
    /** A short name for maps and reports. */
    String name();

    /** The file's size in bytes now. */
    long size();

    /**
     * Linux filemap_fault: the up-to-date page-cache page at {@code index}, with a reference taken
     * for the caller, reading it from the backing store if needed; null if {@code index} is beyond
     * end of file (SIGBUS).
     */
    Page getPage(long index);

    /** The file's page cache. */
    AddressSpace mapping();

    /** Whether stores through a shared mapping may reach this file. */
    boolean writable();


}
