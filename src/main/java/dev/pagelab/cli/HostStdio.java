package dev.pagelab.cli;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The host's stdin, stdout and stderr as a guest may use them. When pagelab was started with one
 * of them closed, the JVM's own first files (its {@code lib/modules} image, a jar) take that
 * descriptor number; a guest must never read or write those, so such a descriptor counts as
 * closed (the guest's read or write gets EBADF, as on Linux).
 */
final class HostStdio {
    private HostStdio() {}

    /** fd 0, or null if it was closed when pagelab started. */
    static InputStream stdin() {
        return openedByJvm(0) ? null : new FileInputStream(FileDescriptor.in);
    }

    /** fd 1, or null if it was closed when pagelab started. */
    static OutputStream stdout() {
        return openedByJvm(1) ? null : new FileOutputStream(FileDescriptor.out);
    }

    /** fd 2, or null if it was closed when pagelab started. */
    static OutputStream stderr() {
        return openedByJvm(2) ? null : new FileOutputStream(FileDescriptor.err);
    }

    /** True if host descriptor {@code fd} is a file of the JVM or of pagelab itself (Linux /proc). */
    static boolean openedByJvm(int fd) {
        Path target;
        try {
            target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd));
        } catch (IOException | UnsupportedOperationException e) {
            return false; // closed, or no /proc: nothing the JVM could have put there that we can tell
        }
        if (!target.isAbsolute()) {
            return false; // pipe:[...], socket:[...], anon_inode:...
        }
        Path javaHome = Path.of(System.getProperty("java.home")).toAbsolutePath().normalize();
        if (target.normalize().startsWith(javaHome)) {
            return true;
        }
        for (String entry : System.getProperty("java.class.path", "").split(java.io.File.pathSeparator)) {
            if (!entry.isEmpty() && !entry.endsWith("*")
                    && target.equals(Path.of(entry).toAbsolutePath().normalize())) {
                return true;
            }
        }
        String home = System.getProperty("pagelab.home");
        return home != null
                && target.normalize().startsWith(Path.of(home, "src", "target").toAbsolutePath().normalize());
    }
}
