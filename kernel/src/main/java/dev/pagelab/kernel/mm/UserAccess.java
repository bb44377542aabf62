package dev.pagelab.kernel.mm;

import dev.pagelab.emulator.PhysicalMemory;
import dev.pagelab.emulator.Pte;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * copy_from_user / copy_to_user and friends: the kernel touching user memory on a task's behalf.
 * A missing or read-only page is faulted in through {@link Memory#handleMmFault} (taking mmap_sem
 * for reading, as do_page_fault would for a kernel-mode fault on a user address); an address no
 * fault can fix is {@code -EFAULT}, never a host exception.
 *
 * <p>The copy goes straight to physical memory, bypassing the emulated MMU, so it sets the pte's
 * Accessed (and, for stores, Dirty) bit itself, exactly as the CPU's page walk would have.
 */
public final class UserAccess {
    /** The user address cannot be accessed: the syscall returns -EFAULT. */
    public static final class Efault extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Efault(long address) {
            super(String.format("bad user address 0x%x", address), null, false, false);
        }
    }

    private final Memory memory; // immutable reference
    private final PhysicalMemory ram; // immutable reference

    public UserAccess(Memory memory) {
        this.memory = memory;
        this.ram = memory.frames().memory();
    }

    public byte[] copyFromUser(MmStruct mm, long addr, int length) {
        byte[] out = new byte[length];
        copyFromUser(mm, addr, out, 0, length);
        return out;
    }

    public void copyFromUser(MmStruct mm, long addr, byte[] dst, int offset, int length) {
        checkRange(addr, length);
        int done = 0;
        while (done < length) {
            long va = addr + done;
            int chunk = (int) Math.min(length - done, PhysicalMemory.PAGE_SIZE - (va & 0xfff));
            ram.read(userPhysical(mm, va, false), dst, offset + done, chunk);
            done += chunk;
        }
    }

    public void copyToUser(MmStruct mm, long addr, byte[] src) {
        copyToUser(mm, addr, src, 0, src.length);
    }

    public void copyToUser(MmStruct mm, long addr, byte[] src, int offset, int length) {
        checkRange(addr, length);
        int done = 0;
        while (done < length) {
            long va = addr + done;
            int chunk = (int) Math.min(length - done, PhysicalMemory.PAGE_SIZE - (va & 0xfff));
            ram.write(userPhysical(mm, va, true), src, offset + done, chunk);
            done += chunk;
        }
    }

    /** clear_user: zeroes [addr, addr+length). */
    public void clearUser(MmStruct mm, long addr, int length) {
        copyToUser(mm, addr, new byte[length]);
    }

    public long getUserLong(MmStruct mm, long addr) {
        byte[] b = copyFromUser(mm, addr, 8);
        return java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }

    public int getUserInt(MmStruct mm, long addr) {
        byte[] b = copyFromUser(mm, addr, 4);
        return java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
    }

    public void putUserLong(MmStruct mm, long addr, long value) {
        copyToUser(mm, addr, java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putLong(value).array());
    }

    public void putUserInt(MmStruct mm, long addr, int value) {
        copyToUser(mm, addr, java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putInt(value).array());
    }

    /**
     * strncpy_from_user: a NUL-terminated string of at most {@code max} bytes (without the NUL).
     *
     * @throws Efault on a bad address, IllegalArgumentException if no NUL within max bytes
     */
    public String strncpyFromUser(MmStruct mm, long addr, int max) {
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        for (int i = 0; i <= max; ) {
            long va = addr + i;
            int chunk = (int) Math.min(max + 1 - i, PhysicalMemory.PAGE_SIZE - (va & 0xfff));
            byte[] b = copyFromUser(mm, va, chunk);
            for (byte x : b) {
                if (x == 0) {
                    return dev.pagelab.kernel.GuestStrings.decode(s.toByteArray()); // bytes, not mangled
                }
                s.write(x);
            }
            i += chunk;
        }
        throw new IllegalArgumentException("string longer than " + max + " bytes");
    }

    /** The physical address of user byte {@code va}, faulting the page in for the access. */
    private long userPhysical(MmStruct mm, long va, boolean write) {
        for (int attempt = 0; attempt < 4; attempt++) {
            long ptep = mm.pageTables().pteOffset(va);
            if (ptep >= 0) {
                Pte pte = mm.pageTables().peek(ptep);
                if (pte.present() && pte.user() && (!write || pte.writable())) {
                    long bits = Pte.A | (write ? Pte.D : 0);
                    if ((pte.value() & bits) != bits) {
                        ram.writeLongVolatile(ptep, pte.value() | bits); // what the page walk would do
                    }
                    return pte.physicalAddress() | (va & 0xfff);
                }
            }
            mm.mmapSem.downRead();
            FaultResult r;
            try {
                r = memory.handleMmFault(mm, va, write, false);
            } finally {
                mm.mmapSem.upRead();
            }
            if (!(r instanceof FaultResult.Handled)) {
                throw new Efault(va);
            }
        }
        throw new Efault(va);
    }

    private static void checkRange(long addr, long length) {
        if (length < 0 || addr < 0 || addr + length > MmStruct.TASK_SIZE || addr + length < addr) {
            throw new Efault(addr);
        }
    }
}
