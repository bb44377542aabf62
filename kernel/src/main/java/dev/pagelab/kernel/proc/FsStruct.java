package dev.pagelab.kernel.proc;

/**
 * Linux: include/linux/fs_struct.h struct fs_struct: a process's working directory and umask.
 * Unlike Linux, the working directory is a normalized absolute path, not a dentry: "/" unless
 * chdir moved it. Fields are guarded by the baton.
 */
public final class FsStruct {
    private String cwd = "/"; // guarded by the baton: absolute, normalized, no trailing '/' but "/"
    private int umask = 022; // guarded by the baton

    public String cwd() {
        return cwd;
    }

    public void setCwd(String absolute) {
        if (!absolute.startsWith("/")) {
            throw new IllegalArgumentException("setCwd: not absolute: " + absolute);
        }
        this.cwd = absolute;
    }

    public int umask() {
        return umask;
    }

    /** sys_umask: sets the mask, returns the old one. */
    public int swapUmask(int mask) {
        int old = umask;
        umask = mask & 0777;
        return old;
    }

    /** fork: copy_fs_struct. */
    public FsStruct copy() {
        FsStruct c = new FsStruct();
        c.cwd = cwd;
        c.umask = umask;
        return c;
    }
}
